"""Static definitions of the synthetic world: sensors, workspaces, nodes and recipe types (job types
are in job_types.py). Pure data; nothing here touches the database.

Times are given as fractions of the seeded window (0 = its start, 1 = the anchor); negative fractions
are before the window.
"""

# Workspaces: name -> (title, description, host_path, base_url)
WORKSPACES = {
    'ingest': (
        'Ingest',
        'Raw files registered by Strike ingest',
        '/data/ingest',
        'https://data.example.com/ingest',
    ),
    'products': ('Products', 'Outputs of processing jobs', '/data/products', None),
    'archive': ('Archive', 'Long-term archive of bundled products', '/data/archive', None),
}
SOURCE_WORKSPACE = 'ingest'
PRODUCT_WORKSPACE = 'products'  # for job types whose default workspace is not one of these

# Sensor classes of source files: sensors, collections, media type, extension, median size in bytes,
# log-normal sigma of the size, acquisition duration range in seconds, data type tags.
SENSOR_CLASSES = {
    'LANDSAT': {
        'sensors': ('L8-OLI', 'L9-OLI2'),
        'collections': ('C2-L1', 'C2-L2'),
        'media_type': 'application/x-tar',
        'median': 850 * 2**20,
        'sigma': 0.35,
        'duration': (20, 28),
        'tags': ('landsat', 'multispectral', 'raw'),
    },
    'SENTINEL': {
        'sensors': ('S2A-MSI', 'S2B-MSI', 'S2C-MSI'),
        'collections': ('L1C', 'L2A'),
        'media_type': 'application/zip',
        'median': 620 * 2**20,
        'sigma': 0.45,
        'duration': (3, 12),
        'tags': ('sentinel', 'multispectral', 'raw'),
    },
    'WORLDVIEW': {
        'sensors': ('WV02', 'WV03'),
        'collections': ('ORTHO-READY', 'BASIC-1B'),
        'media_type': 'application/vnd.nitf',
        'median': 1200 * 2**20,
        'sigma': 0.7,
        'duration': (4, 16),
        'tags': ('worldview', 'panchromatic', 'raw'),
    },
    'MODIS': {
        'sensors': ('TERRA-MODIS', 'AQUA-MODIS'),
        'collections': ('MOD021KM', 'MYD021KM', 'MOD09GA'),
        'media_type': 'application/x-hdf',
        'median': 80 * 2**20,
        'sigma': 0.9,
        'duration': (295, 300),
        'tags': ('modis', 'hdf', 'raw'),
    },
    'SAR': {
        'sensors': ('S1A-CSAR', 'S1C-CSAR', 'ICEYE-X27'),
        'collections': ('GRD', 'SLC'),
        'media_type': 'application/zip',
        'median': 1500 * 2**20,
        'sigma': 0.45,
        'duration': (20, 30),
        'tags': ('sar', 'radar', 'raw'),
    },
}
SENSOR_CLASS_NAMES = tuple(SENSOR_CLASSES)

# Auxiliary inputs (no sensor): media type, extension, median size, sigma.
AUX_KINDS = {
    'dem': ('image/tiff', 'tif', 48 * 2**20, 0.8, ('dem', 'elevation')),
    'aoi': ('application/geo+json', 'geojson', 24 * 2**10, 1.0, ('aoi', 'vector')),
}

SOURCE_TASKS = (
    'routine-collection',
    'disaster-response',
    'agriculture-monitoring',
    'coastal-change',
    'urban-growth',
    'forest-inventory',
    'tasking-0417',
    'tasking-0932',
)
COUNTRIES = (
    ('USA', 30),
    ('CAN', 8),
    ('MEX', 6),
    ('BRA', 8),
    ('GBR', 4),
    ('FRA', 5),
    ('DEU', 4),
    ('NGA', 4),
    ('KEN', 3),
    ('IND', 8),
    ('IDN', 5),
    ('AUS', 7),
    ('JPN', 3),
    ('PHL', 3),
)
USERS = ('alice', 'bob', 'carol', 'dmitri', 'erin', 'farah', 'gwen', 'hiro')

MAX_FILE_SIZE = 8 * 2**30
MIN_FILE_SIZE = 1024

ALL = SENSOR_CLASS_NAMES
OPTICAL = ('LANDSAT', 'SENTINEL', 'WORLDVIEW')


# Recipe types: name, title, description, nodes (node name, job type name, version), weight,
# sensor classes, revisions {num: (window fraction, nodes override)}.
RECIPE_TYPES = (
    {
        'name': 'landsat-pipeline',
        'title': 'Landsat Pipeline',
        'description': 'Parse a Landsat scene, then NDVI, cloud mask and a thumbnail.',
        'nodes': (
            ('parse', 'landsat8-parse', '1.2.0'),
            ('ndvi', 'ndvi-calc', '1.0.0'),
            ('cloud', 'cloud-mask', '2.0.0'),
            ('thumbnail', 'thumbnail-gen', '1.0.0'),
        ),
        'weight': 4,
        'classes': ('LANDSAT',),
        'revisions': {2: (0.6, {'parse': ('landsat8-parse', '2.0.0')})},
    },
    {
        'name': 'sentinel-pipeline',
        'title': 'Sentinel-2 Pipeline',
        'description': 'Convert a Sentinel-2 scene, mask clouds and compute NDVI.',
        'nodes': (
            ('convert', 'sentinel2-convert', '1.1.0'),
            ('cloud', 'cloud-mask', '2.0.0'),
            ('ndvi', 'ndvi-calc', '1.0.0'),
        ),
        'weight': 4,
        'classes': ('SENTINEL',),
        'revisions': {},
    },
    {
        'name': 'sar-pipeline',
        'title': 'SAR Pipeline',
        'description': 'Orthorectify a SAR scene and extract its metadata.',
        'nodes': (('ortho', 'orthorectify', '3.1.0'), ('metadata', 'metadata-extract', '1.0.0')),
        'weight': 2,
        'classes': ('SAR',),
        'revisions': {},
    },
    {
        'name': 'quicklook',
        'title': 'Quicklook',
        'description': 'Thumbnail and metadata for any newly ingested scene.',
        'nodes': (('thumbnail', 'thumbnail-gen', '1.0.0'), ('metadata', 'metadata-extract', '1.0.0')),
        'weight': 3,
        'classes': ALL,
        'revisions': {},
    },
    {
        'name': 'detect-objects',
        'title': 'Object Detection',
        'description': 'Run the object detector on a high-resolution scene.',
        'nodes': (('detect', 'object-detect', '1.4.0'),),
        'weight': 2,
        'classes': ('WORLDVIEW',),
        'revisions': {},
    },
)

# Node tiers: (count, cpus, mem MiB, disk MiB, gpus, custom resources)
NODE_TIERS = (
    (14, 16.0, 65536.0, 1_000_000.0, 0.0, {}),
    (16, 32.0, 131072.0, 2_000_000.0, 0.0, {}),
    (8, 64.0, 262144.0, 4_000_000.0, 0.0, {}),
    (5, 32.0, 196608.0, 2_000_000.0, 4.0, {}),
    (2, 64.0, 524288.0, 4_000_000.0, 8.0, {}),
    (5, 16.0, 65536.0, 1_000_000.0, 0.0, {'idl-license': 2.0}),
)
NODE_HOSTNAME = 'scale-node-{:03d}.cluster.example'
# Node numbers (1-based) that are paused / deprecated.
PAUSED_NODES = {7: 'Disk replacement scheduled', 23: 'Kernel upgrade'}
INACTIVE_NODES = (12, 41)
