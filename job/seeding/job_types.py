"""The job types of the synthetic world, as specs from which normalized Seed manifests (seedVersion
1.0.0) and v6 job type configurations are built. Pure data and pure functions."""

import copy

from job.seeding.catalog import ALL, OPTICAL

SEED_MAINTAINER = {
    'name': 'Imagery Processing Team',
    'email': 'imagery-team@example.com',
    'organization': 'Example Geospatial',
}


def _type(name, title, description, **spec):
    spec.setdefault('versions', {'1.0.0': {}})
    spec.setdefault('system', False)
    spec.setdefault('json_inputs', ())
    spec.setdefault('json_outputs', ())
    spec.setdefault('settings', (('LOG_LEVEL', False, 'INFO'),))
    spec.setdefault('errors', ())
    spec.setdefault('timeout', 3600)
    spec.setdefault('priority', 100)
    spec.setdefault('max_tries', 3)
    spec.setdefault('workspace', 'products')
    spec.setdefault('classes', ALL)
    spec.setdefault('paused', None)
    spec.setdefault('deprecated', None)
    return {'name': name, 'title': title, 'description': description, **spec}


# Job types. inputs: (name, kind, multiple) with kind 'scene' (a sensor file) or an AUX_KINDS key.
# output: (name, pattern, media type, extension, size ratio to the input). json inputs:
# (name, type, choices). json outputs: (name, type, key, (low, high)). settings: (name, secret, value).
# scalars: (name, value, inputMultiplier or None). errors: (code, name, title, description, category).
# versions: jobVersion -> overrides; 'created' (window fraction), 'revisions': {num: (fraction, overrides)}.
JOB_TYPES = (
    _type(
        'scale-ingest',
        'Scale Ingest',
        'Moves a file that arrived in a Strike landing zone into its workspace and registers it.',
        system=True,
        tags=('system', 'ingest'),
        command='ingest ${INGEST_FILE} ${OUTPUT_DIR}',
        inputs=(('INGEST_FILE', 'scene', False),),
        output=('INGESTED_FILE', '*', None, None, 1.0),
        scalars=(('cpus', 0.5, None), ('mem', 512.0, None), ('disk', 256.0, 1.0)),
        timeout=1800,
        runtime=35,
        priority=10,
        max_tries=5,
        weight=12,
        workspace='ingest',
    ),
    _type(
        'scale-archive',
        'Scale Archive',
        'Bundles processed products into a compressed archive for long-term storage.',
        system=True,
        tags=('system', 'archive'),
        command='archive ${ARCHIVE_FILES} ${OUTPUT_DIR}',
        inputs=(('ARCHIVE_FILES', 'scene', True),),
        output=('ARCHIVE', '*.zip', 'application/zip', 'zip', 0.8),
        scalars=(('cpus', 1.0, None), ('mem', 1024.0, None), ('disk', 1024.0, 2.0)),
        timeout=7200,
        runtime=240,
        priority=250,
        weight=2,
        workspace='archive',
    ),
    _type(
        'landsat8-parse',
        'Landsat 8 Parser',
        'Unpacks a Landsat Collection 2 scene, validates its MTL metadata and writes a multiband GeoTIFF.',
        tags=('landsat', 'parse'),
        command='parse_landsat ${INPUT_FILE} --bands ${BANDS} -o ${OUTPUT_DIR}',
        inputs=(('INPUT_FILE', 'scene', False),),
        json_inputs=(('BANDS', 'string', ('B1-B7', 'B2,B3,B4', 'B4,B5', 'B2,B3,B4,B8')),),
        output=('PARSED_SCENE', '*.tif', 'image/tiff', 'tif', 1.6),
        json_outputs=(('CLOUD_COVER', 'number', 'cloudCover', (0, 100)),),
        scalars=(('cpus', 1.0, None), ('mem', 2048.0, 0.5), ('disk', 4096.0, 2.0)),
        errors=(
            (3, 'bad-mtl', 'Bad MTL File', 'The scene metadata (MTL) file could not be parsed.', 'data'),
            (4, 'missing-band', 'Missing Band', 'A requested band is not present in the scene.', 'data'),
            (10, 'gdal-failure', 'GDAL Failure', 'GDAL could not read or write the raster.', 'job'),
        ),
        classes=('LANDSAT',),
        runtime=180,
        weight=5,
        versions={
            '1.0.0': {'created': -2.0},
            '1.2.0': {'created': -0.2, 'revisions': {2: (0.35, {'mem': 2560.0})}},
            '2.0.0': {
                'created': 0.5,
                'mem': 3072.0,
                'json_inputs_extra': (('COLLECTION', 'string', ('C2',)),),
            },
        },
    ),
    _type(
        'sentinel2-convert',
        'Sentinel-2 Converter',
        'Converts a Sentinel-2 SAFE archive into cloud-optimized GeoTIFFs at 10 m resolution.',
        tags=('sentinel', 'convert', 'cog'),
        command='s2convert ${INPUT_FILE} ${OUTPUT_DIR}',
        inputs=(('INPUT_FILE', 'scene', False),),
        output=('COG_SCENE', '*.tif', 'image/tiff', 'tif', 1.3),
        scalars=(('cpus', 2.0, None), ('mem', 4096.0, 0.5), ('disk', 4096.0, 2.5)),
        errors=(
            (3, 'corrupt-safe', 'Corrupt SAFE Archive', 'The SAFE archive is truncated or corrupt.', 'data'),
            (12, 'projection-error', 'Projection Error', 'The scene could not be reprojected.', 'job'),
        ),
        classes=('SENTINEL',),
        runtime=300,
        weight=5,
        versions={'1.0.0': {'created': -1.0}, '1.1.0': {'created': -0.1}},
    ),
    _type(
        'ndvi-calc',
        'NDVI Calculator',
        'Computes the normalized difference vegetation index from the red and near-infrared bands.',
        tags=('ndvi', 'vegetation', 'index'),
        command='ndvi ${RED_NIR_SCENE} --scale ${SCALE_FACTOR} -o ${OUTPUT_DIR}',
        inputs=(('RED_NIR_SCENE', 'scene', False),),
        json_inputs=(('SCALE_FACTOR', 'number', (0.0001, 0.001, 1.0)),),
        output=('NDVI', '*_ndvi.tif', 'image/tiff', 'tif', 0.25),
        json_outputs=(('MEAN_NDVI', 'number', 'meanNdvi', (-1, 1)),),
        scalars=(('cpus', 1.0, None), ('mem', 1024.0, 0.25), ('disk', 2048.0, 1.5)),
        errors=((5, 'missing-nir', 'Missing NIR Band', 'The scene has no near-infrared band.', 'data'),),
        classes=('LANDSAT', 'SENTINEL', 'MODIS'),
        runtime=90,
        weight=6,
        versions={'1.0.0': {'created': -1.0, 'revisions': {2: (0.6, {'mem': 1536.0})}}},
    ),
    _type(
        'cloud-mask',
        'Cloud Mask',
        'Classifies clouds and cloud shadows and writes a per-pixel mask.',
        tags=('cloud', 'mask'),
        command='cloudmask ${INPUT_IMAGE} ${OUTPUT_DIR}',
        inputs=(('INPUT_IMAGE', 'scene', False),),
        output=('MASK', '*_mask.tif', 'image/tiff', 'tif', 0.1),
        json_outputs=(('CLOUD_PCT', 'number', 'cloudPercent', (0, 100)),),
        scalars=(('cpus', 2.0, None), ('mem', 2048.0, 0.5), ('disk', 2048.0, 1.2)),
        errors=((6, 'no-qa-band', 'No QA Band', 'The scene has no quality assessment band.', 'data'),),
        classes=('LANDSAT', 'SENTINEL'),
        runtime=150,
        weight=5,
        versions={'1.0.0': {'created': -1.5}, '2.0.0': {'created': -0.3, 'mem': 3072.0}},
    ),
    _type(
        'orthorectify',
        'Orthorectifier',
        'Removes terrain distortion from an image using a digital elevation model (GPU accelerated).',
        tags=('ortho', 'gpu'),
        command='ortho ${IMAGE} ${DEM} -o ${OUTPUT_DIR}',
        inputs=(('IMAGE', 'scene', False), ('DEM', 'dem', False)),
        output=('ORTHO_IMAGE', '*_ortho.tif', 'image/tiff', 'tif', 1.1),
        settings=(('LOG_LEVEL', False, 'INFO'), ('DEM_SERVICE_TOKEN', True, None)),
        scalars=(('cpus', 4.0, None), ('mem', 8192.0, 0.5), ('disk', 8192.0, 2.0), ('gpus', 1.0, None)),
        errors=(
            (
                7,
                'dem-coverage',
                'DEM Coverage',
                'The elevation model does not cover the image footprint.',
                'data',
            ),
            (20, 'cuda-error', 'CUDA Error', 'The GPU kernel failed.', 'job'),
        ),
        classes=('WORLDVIEW', 'SAR'),
        runtime=420,
        weight=3,
        versions={'3.1.0': {'created': -1.0}},
    ),
    _type(
        'change-detect',
        'Change Detection',
        'Compares two co-registered acquisitions of the same area and maps the changed pixels.',
        tags=('change', 'analysis'),
        command='changedetect ${BEFORE_IMAGE} ${AFTER_IMAGE} -t ${THRESHOLD} -o ${OUTPUT_DIR}',
        inputs=(('BEFORE_IMAGE', 'scene', False), ('AFTER_IMAGE', 'scene', False)),
        json_inputs=(('THRESHOLD', 'number', (0.1, 0.2, 0.35, 0.5)),),
        output=('CHANGE_MAP', '*_change.tif', 'image/tiff', 'tif', 0.2),
        json_outputs=(('CHANGED_AREA_KM2', 'number', 'changedAreaKm2', (0, 250)),),
        scalars=(('cpus', 2.0, None), ('mem', 4096.0, 0.5), ('disk', 4096.0, 1.5)),
        errors=((8, 'misregistered', 'Misregistered Pair', 'The two images do not overlap enough.', 'data'),),
        classes=OPTICAL,
        runtime=600,
        weight=2,
    ),
    _type(
        'tile-cutter',
        'Tile Cutter',
        'Cuts one or more images into a web map tile pyramid.',
        tags=('tiles', 'web'),
        command='tilecut ${IMAGES} --zoom ${ZOOM_LEVELS} -o ${OUTPUT_DIR}',
        inputs=(('IMAGES', 'scene', True),),
        json_inputs=(('ZOOM_LEVELS', 'string', ('0-12', '8-16', '10-18')),),
        output=('TILES', '*.zip', 'application/zip', 'zip', 1.8),
        json_outputs=(('TILE_COUNT', 'integer', 'tileCount', (100, 250000)),),
        scalars=(('cpus', 2.0, None), ('mem', 2048.0, None), ('disk', 8192.0, 3.0)),
        classes=OPTICAL,
        runtime=500,
        weight=2,
        versions={'2.2.0': {'created': -1.0}},
    ),
    _type(
        'metadata-extract',
        'Metadata Extractor',
        'Reads the header of a file and records its footprint, times and sensor as JSON.',
        tags=('metadata',),
        command='mdextract ${INPUT_FILE} ${OUTPUT_DIR}',
        inputs=(('INPUT_FILE', 'scene', False),),
        output=('METADATA', '*.json', 'application/json', 'json', 0.00002),
        scalars=(('cpus', 0.25, None), ('mem', 256.0, None)),
        timeout=600,
        runtime=12,
        weight=6,
    ),
    _type(
        'thumbnail-gen',
        'Thumbnail Generator',
        'Renders a small PNG browse image of a scene.',
        tags=('thumbnail', 'browse'),
        command='thumbnail ${IMAGE} --width ${WIDTH} -o ${OUTPUT_DIR}',
        inputs=(('IMAGE', 'scene', False),),
        json_inputs=(('WIDTH', 'integer', (256, 512, 1024)),),
        output=('THUMBNAIL', '*.png', 'image/png', 'png', 0.0005),
        scalars=(('cpus', 0.5, None), ('mem', 512.0, None)),
        timeout=900,
        runtime=20,
        weight=5,
    ),
    _type(
        'object-detect',
        'Object Detector',
        'Detects vehicles, vessels and aircraft with a convolutional neural network on a GPU.',
        tags=('ml', 'detection', 'gpu'),
        command='detect ${IMAGE} --model ${MODEL} --confidence ${CONFIDENCE} -o ${OUTPUT_DIR}',
        inputs=(('IMAGE', 'scene', False),),
        json_inputs=(
            ('MODEL', 'string', ('vehicles-v7', 'vessels-v3', 'aircraft-v2')),
            ('CONFIDENCE', 'number', (0.5, 0.6, 0.75)),
        ),
        output=('DETECTIONS', '*.geojson', 'application/geo+json', 'geojson', 0.001),
        json_outputs=(('DETECTION_COUNT', 'integer', 'detectionCount', (0, 5000)),),
        settings=(('LOG_LEVEL', False, 'INFO'), ('MODEL_REGISTRY_KEY', True, None)),
        scalars=(('cpus', 4.0, None), ('mem', 16384.0, None), ('disk', 8192.0, 1.0), ('gpus', 1.0, None)),
        errors=(
            (30, 'model-load', 'Model Load Failure', 'The detection model could not be loaded.', 'job'),
            (31, 'gpu-oom', 'GPU Out Of Memory', 'The image tile did not fit in GPU memory.', 'job'),
        ),
        classes=('WORLDVIEW', 'SENTINEL'),
        runtime=360,
        weight=3,
        versions={'1.4.0': {'created': -1.0, 'revisions': {2: (0.7, {'mem': 20480.0})}}},
    ),
    _type(
        'sar-despeckle',
        'SAR Despeckle',
        'Reduces speckle noise in SAR amplitude images with a Lee filter.',
        tags=('sar', 'filter'),
        command='despeckle ${SAR_IMAGE} -o ${OUTPUT_DIR}',
        inputs=(('SAR_IMAGE', 'scene', False),),
        output=('FILTERED', '*_filtered.tif', 'image/tiff', 'tif', 0.9),
        scalars=(('cpus', 2.0, None), ('mem', 4096.0, 0.5), ('disk', 4096.0, 2.0)),
        classes=('SAR',),
        runtime=240,
        weight=2,
        paused=0.95,
        versions={'0.9.0': {'created': -1.0}},
    ),
    _type(
        'legacy-georef',
        'Legacy Georeferencer',
        'Georeferences scanned imagery with manual control points. Superseded by orthorectify.',
        tags=('legacy',),
        command='georef ${IMAGE} -o ${OUTPUT_DIR}',
        inputs=(('IMAGE', 'scene', False),),
        output=('GEOREF_IMAGE', '*.tif', 'image/tiff', 'tif', 1.0),
        scalars=(('cpus', 1.0, None), ('mem', 2048.0, None), ('disk', 2048.0, 1.0)),
        classes=('WORLDVIEW',),
        runtime=200,
        weight=2,
        deprecated=0.3,
        versions={'0.3.0': {'created': -3.0}},
    ),
    _type(
        'hdf-to-cog',
        'HDF to COG',
        'Converts HDF4 and HDF5 science datasets into cloud-optimized GeoTIFFs.',
        tags=('hdf', 'convert', 'cog'),
        command='hdf2cog ${HDF_FILE} ${OUTPUT_DIR}',
        inputs=(('HDF_FILE', 'scene', False),),
        output=('COG', '*.tif', 'image/tiff', 'tif', 1.2),
        scalars=(('cpus', 1.0, None), ('mem', 1024.0, 1.0), ('disk', 1024.0, 2.0)),
        errors=(
            (
                9,
                'unsupported-sds',
                'Unsupported Dataset',
                'The HDF science dataset is not supported.',
                'data',
            ),
        ),
        classes=('MODIS',),
        runtime=60,
        weight=3,
    ),
    _type(
        'envi-classify',
        'ENVI Classifier',
        'Supervised land-cover classification with ENVI/IDL; needs an IDL license per run.',
        tags=('classification', 'envi'),
        command='envi_classify ${IMAGE} -o ${OUTPUT_DIR}',
        inputs=(('IMAGE', 'scene', False),),
        output=('CLASS_MAP', '*_classes.tif', 'image/tiff', 'tif', 0.15),
        settings=(('LOG_LEVEL', False, 'INFO'), ('IDL_LICENSE_SERVER', False, 'lic.example.com:1700')),
        scalars=(
            ('cpus', 2.0, None),
            ('mem', 4096.0, None),
            ('disk', 4096.0, 1.5),
            ('idl-license', 1.0, None),
        ),
        errors=(
            (2, 'license-unavailable', 'License Unavailable', 'No IDL license could be checked out.', 'job'),
        ),
        classes=OPTICAL,
        runtime=480,
        weight=2,
        versions={'5.6.0': {'created': -1.0}},
    ),
    _type(
        'mosaic-builder',
        'Mosaic Builder',
        'Stitches adjacent scenes into one seamless mosaic clipped to an area of interest.',
        tags=('mosaic',),
        command='mosaic ${SCENES} --cutline ${CUTLINE} -o ${OUTPUT_DIR}',
        inputs=(('SCENES', 'scene', True), ('CUTLINE', 'aoi', False)),
        output=('MOSAIC', '*_mosaic.tif', 'image/tiff', 'tif', 1.5),
        scalars=(('cpus', 4.0, None), ('mem', 8192.0, 0.25), ('disk', 8192.0, 2.0)),
        errors=((11, 'no-overlap', 'No Overlap', 'The scenes do not overlap the cutline.', 'data'),),
        classes=OPTICAL,
        runtime=900,
        timeout=7200,
        weight=1,
    ),
)


def versions_of(spec):
    """(version, overrides) pairs of a job type spec, in the order given."""
    return list(spec['versions'].items())


def manifest_for(spec, version, overrides, revision_overrides=None, revision_num=1):
    """The normalized Seed manifest of one job type version and revision."""
    changes = dict(overrides)
    changes.update(revision_overrides or {})
    major, minor, patch = (int(part) for part in version.split('.'))
    package_version = f'{major}.{minor}.{patch + revision_num - 1}'
    json_inputs = list(spec['json_inputs']) + list(changes.get('json_inputs_extra', ()))
    output_name, pattern, media_type, _ext, _ratio = spec['output']
    scalars = []
    for name, value, multiplier in spec['scalars']:
        value = changes.get(name, value)
        scalar = {'name': name, 'value': float(value)}
        if multiplier is not None:
            scalar['inputMultiplier'] = float(multiplier)
        scalars.append(scalar)
    return {
        'seedVersion': '1.0.0',
        'job': {
            'name': spec['name'],
            'jobVersion': version,
            'packageVersion': package_version,
            'title': spec['title'],
            'description': spec['description'],
            'tags': list(spec.get('tags', ())),
            'maintainer': copy.deepcopy(SEED_MAINTAINER),
            'timeout': int(changes.get('timeout', spec['timeout'])),
            'interface': {
                'command': spec['command'],
                'inputs': {
                    'files': [
                        {
                            'name': name,
                            'required': True,
                            'mediaTypes': [],
                            'multiple': multiple,
                            'partial': False,
                        }
                        for name, _kind, multiple in spec['inputs']
                    ],
                    'json': [
                        {'name': name, 'type': type_, 'required': False}
                        for name, type_, _choices in json_inputs
                    ],
                },
                'outputs': {
                    'files': [
                        {
                            'name': output_name,
                            'pattern': pattern,
                            'mediaType': media_type or 'application/octet-stream',
                            'multiple': False,
                            'required': True,
                        }
                    ],
                    'json': [
                        {'name': name, 'type': type_, 'key': key, 'required': False}
                        for name, type_, key, _range in spec['json_outputs']
                    ],
                },
                'mounts': [],
                'settings': [{'name': name, 'secret': secret} for name, secret, _value in spec['settings']],
            },
            'resources': {'scalar': scalars},
            'errors': [
                {
                    'code': code,
                    'name': name,
                    'title': title,
                    'description': description,
                    'category': category,
                }
                for code, name, title, description, category in spec['errors']
            ],
        },
    }


def json_input_specs(spec, overrides):
    return tuple(spec['json_inputs']) + tuple(overrides.get('json_inputs_extra', ()))


def configuration_for(spec):
    """The job type configuration: default workspace, priority and the non-secret settings."""
    return {
        'mounts': {},
        'output_workspaces': {'default': spec['workspace'], 'outputs': {}},
        'priority': spec['priority'],
        'settings': {
            name: value for name, secret, value in spec['settings'] if not secret and value is not None
        },
    }
