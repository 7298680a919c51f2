#!/usr/bin/env python
# The init step of every st2 and Mistral pod (see lib/common/prepare-script.ts): wait, bounded,
# until each datastore answers on TCP, then write the secrets config file from its template
# and the Secret values in the environment. Runs on the image's own Python (3, or 2.7 in the
# st2 2.x images).
import json, os, re, socket, string, sys, time

try:
    from urllib.parse import quote
except ImportError:  # Python 2.7 (st2 2.x images)
    from urllib import quote

template, output, groups = sys.argv[1], sys.argv[2], sys.argv[3:]
deadline = time.time() + float(os.environ.get("ST2_WAIT_SECONDS", "600"))


def say(message):
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def write(path, text, mode):
    if os.path.exists(path):  # a re-run init container: our read-only file refuses O_TRUNC
        os.remove(path)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    os.write(descriptor, text.encode("utf-8") if not isinstance(text, bytes) else text)
    os.close(descriptor)
    say("wrote " + path)


partitions = os.environ.get("ST2_SENSOR_PARTITIONS")
if partitions:
    pod, count = os.environ["ST2_POD_NAME"], int(partitions)
    ordinal = int(pod.rsplit("-", 1)[1])
    if ordinal >= count:
        sys.exit("%s has no hash partition: there are %d; change st2.sensorContainer.partitioning.partitions, not the StatefulSet" % (pod, count))
    start, end = ordinal * 2 ** 32 // count, (ordinal + 1) * 2 ** 32 // count
    write(os.path.join(os.path.dirname(output), "sensor-partition.conf"),
          "[sensorcontainer]\nsensor_node_name = %s\npartition_provider = name:hash, hash_ranges:%d..%d\n" % (pod, start, end), 0o444)


def answers(host_port):
    host, port = host_port.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
        return True
    except (socket.error, OSError, IOError):  # socket.error is no OSError on Python 2
        return False


for group in groups:
    members = group.split(",")
    while not any(answers(member) for member in members):
        if time.time() > deadline:
            sys.exit("timed out waiting for one of " + group)
        say("waiting for one of " + group)
        time.sleep(3)

with open(template) as source:
    template_text = source.read()
values = {}
for name in set(re.findall(r"\$\{(\w+)\}", template_text)):
    suffix = next((s for s in ("_URLQ", "_JSON") if name.endswith(s)), "")
    variable = name[:-len(suffix)] if suffix else name
    value = os.environ.get(variable)
    if value is None:
        sys.exit("%s is not set: check the Secret and key the pod reads it from" % variable)
    if suffix == "_JSON":
        # Inside a JSON string of a one-line option (backend_kwargs): JSON escapes quotes,
        # backslashes and line breaks; oslo.config still reads "$" as its own.
        if "\\$" in value:
            sys.exit("%s contains a backslash before a $, which oslo.config reads as an escape: "
                     "choose a value without that sequence" % variable)
        values[name] = json.dumps(value)[1:-1].replace("$", "$$")
        continue
    if "\n" in value or "\r" in value:
        sys.exit("%s contains a line break, which an st2.conf value cannot hold: write the Secret "
                 "without one (kubectl create secret --from-literal, or printf instead of echo)" % variable)
    if name.endswith("_URLQ"):
        values[name] = quote(value, safe="")
        continue
    # What oslo.config would silently change: it strips surrounding blanks and one pair of
    # quotes, and reads a backslash before "$" as an escape of its own.
    if value != value.strip() or (len(value) > 1 and value[0] == value[-1] and value[0] in "\"'"):
        sys.exit("%s starts or ends with a blank or is quoted, which st2.conf would strip: "
                 "remove that from the Secret" % variable)
    if "\\$" in value:
        sys.exit("%s contains a backslash before a $, which oslo.config reads as an escape: "
                 "choose a password without that sequence" % variable)
    # oslo.config reads "$name" as a reference to another option; "$$" is a literal "$".
    values[name] = value.replace("$", "$$")
write(output, string.Template(template_text).substitute(values), 0o400)
