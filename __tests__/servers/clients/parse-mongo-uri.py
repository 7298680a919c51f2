"""Parses a MongoDB URI with pymongo, as st2's [database] host is parsed; prints JSON."""
import json
import sys

from pymongo import uri_parser

parsed = uri_parser.parse_uri(sys.argv[1])
print(json.dumps({
    "nodes": ["%s:%d" % node for node in parsed["nodelist"]],
    "database": parsed["database"],
    "options": {key: str(value) for key, value in parsed["options"].items()},
}))
