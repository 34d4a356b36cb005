class InvalidDocument(ValueError):
    """A JSON document of a request (a Seed manifest, a job configuration, input data, a file's
    registration) that fails validation.

    `errors` maps the path of each bad value inside the request body (for example
    `manifest.job.interface.inputs.files[0].name`, or `input.files.INPUT_FILE` ) to its messages;
    `name` is the Scale error name (JSON_VALIDATION_ERROR, NAME_COLLISION_ERROR, INVALID_WORKSPACE...)
    that the validation endpoints report. The API answers it with a 400 naming every path.
    """

    def __init__(self, errors, name='INVALID_DOCUMENT'):
        self.errors = {path: list(messages) for path, messages in errors.items()}
        self.name = name
        super().__init__('; '.join(f'{path}: {" ".join(messages)}' for path, messages in self.errors.items()))

    @classmethod
    def at(cls, path, message, name='INVALID_DOCUMENT'):
        return cls({path: [message]}, name=name)
