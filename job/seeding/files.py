"""SOURCE files (scenes from five sensor classes and auxiliary inputs) and PRODUCT files of completed
jobs, as scale_file rows (column order: writer.COLUMNS['scale_file'])."""

import bisect
import datetime
import json
import math

from job.choices import FileType
from job.seeding import catalog
from job.seeding.world import DAY, SECOND, UTC

MIB = 2**20
LETTERS = 'CDEFGHJKLMNPQRSTUVWX'
MONTHS = ('JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC')
_DAYS = {}


def day_parts(us):
    """(YYYY, MM, DD, day of year DDD, MON, YY) of a time in microseconds, cached per day
    (strftime is slow and the same few hundred days recur)."""
    number = us // DAY
    parts = _DAYS.get(number)
    if parts is None:
        d = datetime.datetime.fromtimestamp(number * 86_400, UTC)
        parts = _DAYS[number] = (
            f'{d.year:04d}',
            f'{d.month:02d}',
            f'{d.day:02d}',
            f'{d.timetuple().tm_yday:03d}',
            MONTHS[d.month - 1],
            f'{d.year % 100:02d}',
        )
    return parts


def clock_text(us):
    """HHMMSS of a time in microseconds."""
    hours, rest = divmod((us // SECOND) % 86_400, 3600)
    minutes, seconds = divmod(rest, 60)
    return f'{hours:02d}{minutes:02d}{seconds:02d}'


class SourceFile:
    __slots__ = (
        'cls',
        'collection',
        'countries',
        'end',
        'id',
        'media',
        'name',
        'sensor',
        'size',
        'start',
        'tags',
        'task',
    )


def size_mib(files):
    """input_file_size: the total size in MiB, rounded up."""
    return float(math.ceil(sum(f.size for f in files) / MIB)) if files else None


def source_fields(files):
    """(source_started, source_ended, class, sensor, collection, task) aggregated over input files:
    earliest start, latest end, and the greatest of each string."""
    if len(files) == 1:
        f = files[0]
        return (f.start, f.end, f.cls, f.sensor, f.collection, f.task)
    starts = [f.start for f in files if f.start is not None]
    ends = [f.end for f in files if f.end is not None]

    def greatest(attr):
        values = [getattr(f, attr) for f in files if getattr(f, attr) is not None]
        return max(values) if values else None

    return (
        min(starts) if starts else None,
        max(ends) if ends else None,
        greatest('cls'),
        greatest('sensor'),
        greatest('collection'),
        greatest('task'),
    )


class FileMaker:
    def __init__(self, world, rng, ids):
        self.world = world
        self.rng = rng
        self.ids = ids
        self.source_workspace = world.workspaces[catalog.SOURCE_WORKSPACE]
        names, cumulative, total = [], [], 0
        for code, weight in catalog.COUNTRIES:
            total += weight
            names.append(code)
            cumulative.append(total)
        self.country_names, self.country_cum = names, cumulative
        self.json_cache = {}
        self.sources = self.products = 0

    def _json(self, value):
        """JSON text of a small list, cached (tags and countries repeat)."""
        key = tuple(value)
        text = self.json_cache.get(key)
        if text is None:
            text = self.json_cache[key] = json.dumps(value, separators=(',', ':'))
        return text

    def _int(self, low, high):
        return low + int(self.rng.random() * (high - low + 1))

    def _id(self):
        value = self.ids['scale_file']
        self.ids['scale_file'] = value + 1
        return value

    def _countries(self):
        rng = self.rng
        first = self.country_names[bisect.bisect_right(self.country_cum, rng.random() * self.country_cum[-1])]
        if rng.random() < 0.15:
            second = self.country_names[
                bisect.bisect_right(self.country_cum, rng.random() * self.country_cum[-1])
            ]
            if second != first:
                return [first, second]
        return [first]

    def scene(self, rows, cls, created):
        rng = self.rng
        info = catalog.SENSOR_CLASSES[cls]
        f = SourceFile()
        f.id = file_id = self._id()
        f.size = min(
            max(int(info['median'] * rng.lognormvariate(0.0, info['sigma'])), catalog.MIN_FILE_SIZE),
            catalog.MAX_FILE_SIZE,
        )
        f.start = created - int(rng.uniform(600.0, 5 * 86_400.0) * SECOND)
        f.end = f.start + int(rng.uniform(*info['duration']) * SECOND)
        f.cls = cls
        random = rng.random
        f.sensor = info['sensors'][int(random() * len(info['sensors']))]
        f.collection = info['collections'][int(random() * len(info['collections']))]
        f.task = catalog.SOURCE_TASKS[int(random() * len(catalog.SOURCE_TASKS))]
        f.countries = self._countries()
        f.media = info['media_type']
        f.tags = info['tags']
        f.name = self._scene_name(cls, f.sensor, f.collection, f.start, f.end)
        year, month, day, *_ = day_parts(f.start)
        path = f'{cls.lower()}/{f.sensor.lower()}/{year}/{month}/{day}/{file_id}/{f.name}'
        registered = created - int(rng.uniform(1.0, 120.0) * SECOND)
        self.sources += 1
        rows.tables['scale_file'].append(
            self._row(
                file_id,
                self.source_workspace,
                f,
                path,
                FileType.SOURCE,
                f.size,
                f.media,
                f.tags,
                f,
                registered,
            )
        )
        return f

    def aux(self, rows, kind, created):
        rng = self.rng
        media, ext, median, sigma, tags = catalog.AUX_KINDS[kind]
        f = SourceFile()
        f.id = file_id = self._id()
        f.size = min(
            max(int(median * rng.lognormvariate(0.0, sigma)), catalog.MIN_FILE_SIZE), catalog.MAX_FILE_SIZE
        )
        f.start = f.end = f.cls = f.sensor = f.collection = f.task = None
        f.countries = []
        f.media = media
        f.tags = tags
        if kind == 'dem':
            lat, lon = self._int(0, 70), self._int(0, 179)
            f.name = f'dem_{"NS"[self._int(0, 1)]}{lat:02d}{"EW"[self._int(0, 1)]}{lon:03d}_{file_id}.{ext}'
        else:
            f.name = (
                f'{kind}_{catalog.SOURCE_TASKS[self._int(0, len(catalog.SOURCE_TASKS) - 1)]}_{file_id}.{ext}'
            )
        registered = created - int(rng.uniform(60.0, 7 * 86_400.0) * SECOND)
        path = f'aux/{kind}/{file_id}/{f.name}'
        self.sources += 1
        rows.tables['scale_file'].append(
            self._row(
                file_id,
                self.source_workspace,
                f,
                path,
                FileType.SOURCE,
                f.size,
                f.media,
                f.tags,
                f,
                registered,
            )
        )
        return f

    def _scene_name(self, cls, sensor, collection, start, end):
        num = self._int
        year, month, day, yday, _mon, yy = day_parts(start)
        date = year + month + day
        clock = clock_text(start)
        if cls == 'LANDSAT':
            sat = 'LC08' if sensor == 'L8-OLI' else 'LC09'
            level = 'L1TP' if collection == 'C2-L1' else 'L2SP'
            return f'{sat}_{level}_{num(1, 233):03d}{num(1, 248):03d}_{date}_{date}_02_T1.tar'
        if cls == 'SENTINEL':
            tile = f'{num(1, 60):02d}{LETTERS[num(0, 19)]}{LETTERS[num(0, 19)]}{LETTERS[num(0, 19)]}'
            stamp = f'{date}T{clock}'
            return f'S2{sensor[2]}_MSI{collection}_{stamp}_N0510_R{num(1, 143):03d}_T{tile}_{stamp}.zip'
        if cls == 'WORLDVIEW':
            level = 'P1BS' if collection == 'BASIC-1B' else 'P2AS'
            return f'{yy}{_mon}{day}{clock}-{level}-{num(10**11, 10**12 - 1)}_01_P{num(1, 9):03d}.NTF'
        if cls == 'MODIS':
            product = collection if sensor.startswith('TERRA') else 'MYD' + collection[3:]
            return f'{product}.A{year}{yday}.{clock[:4]}.061.{year}{yday}{clock_text(end)}.hdf'
        mode = 'GRDH' if collection == 'GRD' else 'SLC_'
        prefix = sensor.split('-')[0]
        end_year, end_month, end_day, *_ = day_parts(end)
        return (
            f'{prefix}_IW_{mode}_1SDV_{date}T{clock}_{end_year}{end_month}{end_day}T{clock_text(end)}_'
            f'{num(1000, 60000):06d}_{num(0, 0xFFFFFF):06X}_{num(0, 0xFFFF):04X}.zip'
        )

    def _row(
        self, file_id, workspace_id, data, path, file_type, size, media, tags, source, created, **product
    ):
        """One scale_file row; `data` gives the data times and countries, `source` the source fields."""
        superseded = product.get('superseded')
        if source is data:
            source = (data.start, data.end, data.cls, data.sensor, data.collection, data.task)
        return (
            file_id,
            workspace_id,
            data.name if file_type == FileType.SOURCE else product['name'],
            path,
            file_type,
            size,
            media,
            self._json(tags),
            f'{self.rng.getrandbits(128):032x}',
            False,
            None,
            data.start,
            data.end,
            *source,
            None,
            None,
            self._json(data.countries),
            '{}',
            product.get('job_type_id'),
            product.get('job_id'),
            product.get('job_exe_id'),
            product.get('job_output'),
            product.get('recipe_type_id'),
            product.get('recipe_id'),
            product.get('recipe_node'),
            product.get('batch_id'),
            superseded is not None,
            superseded,
            created,
            superseded if superseded is not None else created,
        )

    def product(self, rows, rec):
        """The PRODUCT file of a completed job (rec: jobs.JobRec)."""
        rng = self.rng
        jt = rec.jt
        primary = rec.inputs[0][1][0]
        output_name, _pattern, media, ext, ratio = jt.output
        stem = primary.name.split('.')[0]
        name = primary.name if ext is None else f'{stem}_{output_name.lower()}.{ext}'
        size = min(
            max(int(primary.size * ratio * rng.lognormvariate(0.0, 0.25)), catalog.MIN_FILE_SIZE),
            catalog.MAX_FILE_SIZE,
        )
        source = rec.source
        prefix = f'recipes/{rec.recipe_type_name}/revision_{rec.recipe_rev_num}/' if rec.recipe_id else ''
        if source[0] is not None:
            year, month, day, *_ = day_parts(source[0])
            when = f'{year}/{month}/{day}'
        else:
            when = 'unknown_source_data_time'
        path = f'{prefix}jobs/{jt.name}/{jt.version}/{when}/job_exe_{rec.done_exe_id}/{name}'
        tags = (output_name.lower(), 'product')
        self.products += 1
        return rows.tables['scale_file'].append(
            self._row(
                rec.product_id,
                rec.workspace_id,
                primary,
                path,
                FileType.PRODUCT,
                size,
                media or primary.media,
                tags,
                source,
                rec.ended,
                name=name,
                job_type_id=jt.id,
                job_id=rec.id,
                job_exe_id=rec.done_exe_id,
                job_output=output_name,
                recipe_type_id=rec.recipe_type_id,
                recipe_id=rec.recipe_id,
                recipe_node=rec.recipe_node,
                batch_id=rec.batch_id,
                superseded=rec.superseded,
            )
        )
