"""Django's MySQL/MariaDB backend for tenant databases, with two differences:

- PyMySQL (pure Python) stands in for mysqlclient, which needs a C client library to build;
- UUIDs are stored as char(32), as on MySQL, also on MariaDB 10.7+ (whose native UUID type
  refuses UUIDs that are not RFC 4122 variant 1, which devices may legitimately send as ids).
"""

import pymysql

pymysql.install_as_MySQLdb()

from django.db.backends.mysql import base, features  # noqa: E402


class DatabaseFeatures(features.DatabaseFeatures):
    has_native_uuid_field = False


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
