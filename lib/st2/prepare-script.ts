/**
 * The init step every st2 pod runs before its process: wait (bounded) until each datastore
 * answers on TCP, then write st2.secrets.conf from the template and the Secret values in
 * the environment. It runs on the st2 image's own Python, so no extra image is pulled.
 *
 * Usage: prepare.py TEMPLATE OUTPUT [HOST:PORT,HOST:PORT ...]...
 * Each HOST:PORT list is one datastore; one answering member is enough.
 */
export function prepareScript(): string {
  return `import os, socket, string, sys, time

try:
    from urllib.parse import quote
except ImportError:  # Python 2.7 (st2 2.x images)
    from urllib import quote

template, output, groups = sys.argv[1], sys.argv[2], sys.argv[3:]
deadline = time.time() + float(os.environ.get("ST2_WAIT_SECONDS", "600"))


def say(message):
    sys.stdout.write(message + "\\n")
    sys.stdout.flush()


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

values = {}
for name, value in os.environ.items():
    values[name] = value
    values[name + "_URLQ"] = quote(value, safe="")
with open(template) as source:
    text = string.Template(source.read()).substitute(values)
descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o400)
os.write(descriptor, text.encode("utf-8") if not isinstance(text, bytes) else text)
os.close(descriptor)
say("wrote " + output)
`;
}
