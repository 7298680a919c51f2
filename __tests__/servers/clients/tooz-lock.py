"""One st2 member taking a tooz lock, as st2 does, through our [coordination] url.

Usage: tooz-lock.py URL MEMBER LOCK hold|release|keep:SECONDS
Prints {"acquired": bool}. `hold` exits without releasing (as a crashed or still-working
holder would leave it: the lock stays until its timeout); `release` releases it; `keep:N`
stays connected for N seconds, holding it (kazoo keeps its session alive meanwhile).
"""
import json
import os
import sys
import time

from tooz import coordination

url, member, lock_name, mode = sys.argv[1:5]
coordinator = coordination.get_coordinator(url, member.encode())
coordinator.start(start_heart=False)
lock = coordinator.get_lock(lock_name.encode())
acquired = lock.acquire(blocking=False)
if acquired and mode == "release":
    lock.release()
print(json.dumps({"acquired": acquired}))
sys.stdout.flush()
if mode.startswith("keep:"):
    time.sleep(float(mode.split(":", 1)[1]))
# No coordinator.stop(): it would release the locks this member holds.
os._exit(0)
