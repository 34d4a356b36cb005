# A database id in a URL: at most 18 digits, so it always fits a 64-bit integer column; a longer
# one matches no route (404) instead of overflowing in the database.
ID = r'[0-9]{1,18}'
