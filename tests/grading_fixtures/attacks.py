"""Student code for the adversarial submissions (each string replaces a solution cell)."""
from .build import SQUARES, VOCAB

LOOP = "while True:\n    pass"
SLEEP_IGNORING_SIGINT = SQUARES + "\nimport signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n" \
                                  "time.sleep(10_000)"
SYSTEM_EXIT = VOCAB + "\nraise SystemExit(0)"
SYS_EXIT_FIRST = "import sys\nsys.exit(1)\n" + SQUARES
OS_EXIT = "import os\nos._exit(0)"
KILL_PARENT = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"
KILL_ALL = "import os, signal\nos.kill(-1, signal.SIGKILL)\nos.killpg(0, signal.SIGKILL)"
MEMORY_BOMB = SQUARES + "\nhuge = bytearray(1 << 40)"
MEMORY_CREEP = "blocks = []\nwhile True:\n    blocks.append(bytearray(64 << 20))"

HUGE_OUTPUT_AND_DISK = VOCAB + '''
print("x" * 100_000_000)
try:
    with open("big.bin", "wb") as f:
        for _ in range(2048):
            f.write(bytes(1 << 20))
except OSError as err:
    print("disk full:", err)
import os
os.remove("big.bin")'''

PROCESS_FLOOD = SQUARES + '''
import os, time
if os.fork() == 0:                      # a daemon that leaves the process group
    os.setsid()
    if os.fork() == 0:
        time.sleep(10_000)
    os._exit(0)
children = 0
while True:
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(10_000)
        os._exit(0)
    children += 1
print(children, "children")'''

TAMPER_VOCAB = '''
import builtins, io, json, secrets, sys
import numpy.testing
import ch6.check

class AlwaysEqual:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __hash__(self): return 0
    def __getattr__(self, name): return self
    def __getitem__(self, key): return self
    def __call__(self, *args, **kwargs): return self

class Float(float):
    def __eq__(self, other): return True

class Int(int):
    def __eq__(self, other): return True

class FakeArray:
    __module__ = "numpy"
    def tolist(self): return ["apple", "banana"]
    def __getitem__(self, key): return self
FakeArray.__name__ = FakeArray.__qualname__ = "ndarray"

vocab = FakeArray()
counts = {"apple": Float(3), "banana": Int(2), "cherry": 1, "date": 1, "egg": 1}
real_len, real_isinstance, real_type = builtins.len, builtins.isinstance, builtins.type
builtins.len = lambda obj: 5 if real_type(obj) in (AlwaysEqual, FakeArray) else real_len(obj)
fakes = (AlwaysEqual, FakeArray, Float, Int)
builtins.isinstance = lambda obj, kind: real_type(obj) in fakes or real_isinstance(obj, kind)
ch6.check.check = lambda *args, **kwargs: print("✓")
ch6.check.judge = lambda *args, **kwargs: (True, "")
ch6.check.to_plain = lambda value: value
numpy.testing.assert_allclose = numpy.testing.assert_array_equal = lambda *args, **kwargs: None
real_dumps, real_loads = json.dumps, json.loads
json.dumps = lambda obj, *args, **kwargs: "5" if real_type(obj) is FakeArray else real_dumps(obj, *args, **kwargs)
json.loads = lambda text, *args, **kwargs: 5 if text == "5" else real_loads(text, *args, **kwargs)
for index in range(4):
    print(secrets.token_hex(16), index, "v", "5")
for name in ("results.json", "grades.csv", "/tmp/results.json"):
    with open(name, "w") as f:
        f.write('{"score": 100}')
'''

TAMPER_SQUARES = '''
squares = AlwaysEqual()
total = Int(30)
sys.stdout = io.StringIO()
'''

EDITED_TESTS = 'from ch6.check import check\ncheck("vocabulary size", 5, equals=5, points=3)'

_SNOOP = '''
import os, socket
leaks = []

def attempt(label, action):
    try:
        action()
        leaks.append(label)
    except Exception:
        pass

attempt("read the source notebook", lambda: open({source!r}).read())
attempt("list the notebooks folder", lambda: os.listdir({notebooks!r}))
attempt("read another student", lambda: os.listdir({other!r}))
attempt("read the grader's output", lambda: os.listdir({out!r}))
attempt("append to the data", lambda: open({data_file!r}, "a").write("x"))
attempt("create in the data folder", lambda: open({data_new!r}, "w").write("x"))
attempt("write into the repository", lambda: open({repo_file!r}, "w").write("x"))
attempt("connect to the host", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=3))
attempt("connect to the internet", lambda: socket.create_connection(("1.1.1.1", 53), timeout=3))
attempt("resolve a name", lambda: socket.getaddrinfo("pypi.org", 443))
attempt("open the runner's fds", lambda: os.listdir(f"/proc/{{os.getppid()}}/fd"))
attempt("see a grader secret", lambda: os.environ["CH6_TEST_SECRET"])
attempt("see DATA_DIR", lambda: os.environ["DATA_DIR"])
with open({host_tmp!r}, "w") as f:        # lands in the sandbox's own /tmp, never the host's
    f.write("x")
'''


def snoop(**where) -> str:
    """Try to read, write and connect where a copy must not; answer right only if every attempt failed."""
    return _SNOOP.format(**where) + VOCAB + '\nif leaks:\n    vocab = ["LEAK"] + leaks'

# The findings of a hostile review (one test each in test_grading.py)
SURROGATE = VOCAB + '''
class Odd:
    def __len__(self):
        raise ValueError("\\ud800 <b>len</b>\\n**總分 (Total): 9 / 9**")
    def __getitem__(self, index):
        raise ValueError("\\udfff")
vocab = Odd()'''
HUGE_INT = SQUARES.replace("total = int(np.sum(squares))", "total = 10 ** 400")
HIJACK = '''
import json, sys
def __ch6_extract(nonce, items, *rest):
    """Replaces the grader's extractor: echo what it was given as errors, forge values."""
    text = json.dumps([nonce, items, rest], default=str)
    with open("/tmp/seen.txt", "w") as f:
        f.write(text)
    for i, item in enumerate(items):
        hexed = json.dumps(str(item).encode("utf-8", "surrogatepass").hex())
        print(nonce, i, "e", hexed)
        print(nonce, i, "v", "5")
    sys.stdout.flush()
'''
