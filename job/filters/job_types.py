"""FilterSets of the job types API: every query parameter declared and validated."""

from django.db.models import BooleanField, Case, Expression, F, IntegerField, Q, Value, When
from django.db.models.functions import Lower

from job.manifest.semver import sort_key
from job.models import JobType, JobTypeRevision
from scale.api.filters import (
    BooleanFilter,
    MultiValueCharFilter,
    MultiValueIdFilter,
    OrderingFilter,
    PagedFilterSet,
)


def _like_pattern(text):
    escaped = text.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')
    return f'%{escaped}%'


class ManifestTagContains(Expression):
    """Whether one of the manifest's `job.tags` contains `text`, case-insensitively: an EXISTS over
    the tags array, so a job type matching several tags is still one row."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, text, manifest='manifest'):
        super().__init__()
        self.text = text
        self.manifest = F(manifest)

    def get_source_expressions(self):
        return [self.manifest]

    def set_source_expressions(self, exprs):
        (self.manifest,) = exprs

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        clone = self.copy()
        clone.manifest = self.manifest.resolve_expression(query, allow_joins, reuse, summarize, for_save)
        return clone

    def as_sql(self, compiler, connection):
        # SQLite's JSON1 (LIKE is case-insensitive for ASCII, as Django's icontains there).
        column, params = compiler.compile(self.manifest)
        sql = (
            f"EXISTS (SELECT 1 FROM json_each({column}, '$.job.tags') AS tag "
            "WHERE tag.type = 'text' AND tag.value LIKE %s ESCAPE '\\')"
        )
        return sql, (*params, _like_pattern(self.text))

    def as_postgresql(self, compiler, connection):
        column, params = compiler.compile(self.manifest)
        tags = f"({column} -> 'job' -> 'tags')"
        sql = (
            f"EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof({tags}) = 'array' "
            f"THEN {tags} ELSE '[]'::jsonb END) AS tag(value) WHERE tag.value ILIKE %s)"
        )
        return sql, (*params, *params, *params, _like_pattern(self.text))


class VersionOrderingFilter(OrderingFilter):
    """An OrderingFilter whose `version` key sorts by SemVer precedence (1.2.0 before 1.10.0,
    1.0.0-rc.1 before 1.0.0): the distinct versions of the rows are ranked in Python (one query)
    and the rows ordered by that rank."""

    def filter(self, qs, value):
        keys = value or self.default
        if any(key.lstrip('-') == 'version' for key in keys):
            versions = sorted(set(qs.order_by().values_list('version', flat=True).distinct()), key=sort_key)
            rank = (
                Case(
                    *(When(version=version, then=Value(index)) for index, version in enumerate(versions)),
                    default=Value(len(versions)),
                    output_field=IntegerField(),
                )
                if versions
                else Value(0, output_field=IntegerField())
            )
            self.order_fields = {**self.order_fields, 'version': (rank,)}
        return super().filter(qs, value)


JOB_TYPE_ORDER_FIELDS = {
    'name': (Lower('name'), 'name'),
    'title': (Lower('title'), 'title'),
    'version': ('version',),
    **{
        name: (name,)
        for name in (
            'id',
            'created',
            'last_modified',
            'deprecated',
            'paused',
            'is_active',
            'is_paused',
            'is_system',
            'is_published',
            'revision_num',
            'max_scheduled',
            'max_tries',
            'docker_image',
            'icon_code',
        )
    },
}


class JobTypeFilterSet(PagedFilterSet):
    """GET /v6/job-types/."""

    keyword = MultiValueCharFilter(
        method='filter_keyword',
        help_text='Case-insensitive substring of the name, the title or one of the tags.',
    )
    id = MultiValueIdFilter(field_name='id', help_text='Job type id.')
    is_active = BooleanFilter(
        field_name='is_active', help_text='Active (true) or deprecated (false) job types.'
    )
    is_system = BooleanFilter(field_name='is_system', help_text='System job types (true) or the others.')
    order = VersionOrderingFilter(
        fields=JOB_TYPE_ORDER_FIELDS,
        default=('name', 'version'),
        help_text='Sort keys, repeatable; prefix with - to reverse. version sorts by SemVer precedence. '
        'Default: name, version.',
    )

    class Meta(PagedFilterSet.Meta):
        model = JobType

    def filter_keyword(self, queryset, name, value):
        if not value:
            return queryset
        condition = Q()
        for keyword in dict.fromkeys(value):
            condition |= (
                Q(name__icontains=keyword) | Q(title__icontains=keyword) | ManifestTagContains(keyword)
            )
        return queryset.filter(condition)


class JobTypeNameFilterSet(JobTypeFilterSet):
    """GET /v6/job-type-names/: the filters select versions; a name is listed when one of its
    versions matches, and shows its latest matching version. Names are in name order."""

    order = None

    class Meta(JobTypeFilterSet.Meta):
        pass


class JobTypeVersionFilterSet(PagedFilterSet):
    """GET /v6/job-types/{name}/ (newest SemVer first)."""

    is_active = BooleanFilter(
        field_name='is_active', help_text='Active (true) or deprecated (false) versions.'
    )
    order = VersionOrderingFilter(
        fields=JOB_TYPE_ORDER_FIELDS,
        default=('-version',),
        help_text='Sort keys, repeatable; prefix with - to reverse. version sorts by SemVer precedence. '
        'Default: -version.',
    )

    class Meta(PagedFilterSet.Meta):
        model = JobType


class JobTypeRevisionFilterSet(PagedFilterSet):
    """GET /v6/job-types/{name}/{version}/revisions/ (newest first)."""

    order = OrderingFilter(
        fields={name: (name,) for name in ('revision_num', 'created', 'id')}, default=('-revision_num',)
    )

    class Meta(PagedFilterSet.Meta):
        model = JobTypeRevision
