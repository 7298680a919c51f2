"""Reads st2.conf layers the way st2 does, with oslo.config, and prints what it resolved.

Usage: read-st2-conf.py OPTIONS_JSON CONFIG_FILE...
OPTIONS_JSON maps "section.option" to "str", "int", "bool" or "list": the options st2
registers under those names and types (only these are read; st2 registers many more).
Prints {"section.option": value} as JSON; an option whose value cannot be resolved (an
unescaped "$name" that is no option) is printed as {"error": "..."}.
"""
import json
import sys

from oslo_config import cfg

TYPES = {"str": cfg.StrOpt, "int": cfg.IntOpt, "bool": cfg.BoolOpt, "list": cfg.ListOpt}

options, files = json.loads(sys.argv[1]), sys.argv[2:]
conf = cfg.ConfigOpts()
for name, kind in options.items():
    section, option = name.split(".", 1)
    conf.register_opt(TYPES[kind](option), group=section)
conf(args=[], project="st2", default_config_files=files)

values = {}
for name in options:
    section, option = name.split(".", 1)
    try:
        values[name] = getattr(getattr(conf, section), option)
    except Exception as error:  # oslo.config raises its own errors for bad references
        values[name] = {"error": "%s: %s" % (type(error).__name__, error)}
print(json.dumps(values))
