#!/usr/bin/env python3
"""`vpcsim import aws` on real shapes: moto (in server mode, on loopback) plays an account that
account.py builds with boto3; the script `vpcsim import aws --print-commands` prints dumps it with
the real aws CLI; vpcsim imports the folder. The import must equal expected.yaml, the committed
dump (examples/import/aws, which `cargo test` imports without moto) must import the same, and the import with
expect.yaml's expectations appended must pass `vpcsim check`.

moto lacks DescribeVirtualInterfaces (Direct Connect answers 500): the dump's
directconnect-describe-virtual-interfaces.json is the aws CLI reference's example output
(awscli/examples/directconnect/describe-virtual-interfaces.rst), its gateway id set to the
account's VPN gateway.

    python3 tests/import/aws/run.py [PATH/TO/vpcsim]     # BLESS=1 rewrites expected.yaml and examples/import/aws

Needs `moto[server]`, `boto3` and the aws CLI in this Python's environment.
"""

import difflib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
VPCSIM = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "target", "debug", "vpcsim")
BIN = os.path.dirname(os.path.abspath(sys.executable))
BLESS = os.environ.get("BLESS") == "1"
passed = 0


def check(name, ok, detail=""):
    global passed
    if not ok:
        print(f"FAIL {name}\n{detail}")
        sys.exit(1)
    passed += 1
    print(f"ok   {name}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


DX_EXAMPLE = {
    "virtualInterfaces": [{
        "virtualInterfaceState": "available", "asn": 65000, "vlan": 101, "customerAddress": "192.168.1.2/30",
        "ownerAccount": "123456789012", "connectionId": "dxcon-ffjrkx17", "virtualGatewayId": "VGW",
        "virtualInterfaceId": "dxvif-ffhhk74f", "authKey": "asdf34example", "routeFilterPrefixes": [],
        "location": "TIVIT", "amazonAddress": "192.168.1.1/30", "virtualInterfaceType": "private",
        "virtualInterfaceName": "dx-primary",
    }]
}

work = tempfile.mkdtemp(prefix="vpcsim-import-")
port = free_port()
endpoint = f"http://127.0.0.1:{port}"
moto = subprocess.Popen([os.path.join(BIN, "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                        stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "moto.log"), "w"))
try:
    for _ in range(100):
        try:
            urllib.request.urlopen(endpoint + "/moto-api/", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    # Seeded: the same ids every run.
    urllib.request.urlopen(urllib.request.Request(endpoint + "/moto-api/seed?a=42", method="POST"))
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=endpoint,
               PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    subprocess.run([sys.executable, os.path.join(HERE, "account.py"), endpoint], check=True, env=env)

    script = subprocess.run([VPCSIM, "import", "aws", "--print-commands", "--region", "us-east-1",
                             "--region", "us-west-2"], capture_output=True, text=True, check=True).stdout
    dump = os.path.join(work, "dump")
    os.makedirs(dump)
    p = subprocess.run(["sh", "-c", script], cwd=dump, env=env, capture_output=True, text=True)
    check("the printed commands run with the aws CLI", p.returncode == 0, p.stdout + p.stderr)
    check("only Direct Connect, which moto lacks, failed",
          p.stderr.count("failed") == 2 and "directconnect" in p.stderr, p.stderr)
    files = sorted(os.path.relpath(os.path.join(d, f), dump) for d, _, fs in os.walk(dump) for f in fs)
    check("a file per call, per Region, per zone, endpoint and bucket",
          "us-east-1/ec2-describe-vpcs.json" in files and "us-west-2/ec2-describe-vpcs.json" in files
          and any(f.startswith("route53-list-resource-record-sets-") for f in files)
          and any(f.startswith("us-east-1/route53resolver-list-resolver-endpoint-ip-addresses-") for f in files)
          and "us-east-1/s3api-get-bucket-policy-corp-reports.json" in files, "\n".join(files))
    vgw = json.load(open(os.path.join(dump, "us-east-1", "ec2-describe-vpn-gateways.json")))["VpnGateways"][0]["VpnGatewayId"]
    dx = json.loads(json.dumps(DX_EXAMPLE).replace('"VGW"', json.dumps(vgw)))
    with open(os.path.join(dump, "us-east-1", "directconnect-describe-virtual-interfaces.json"), "w") as f:
        json.dump(dx, f, indent=4)

    out = os.path.join(work, "imported.yaml")
    p = subprocess.run([VPCSIM, "import", "aws", dump, "--name", "moto-account", "-o", out],
                       capture_output=True, text=True)
    check("vpcsim import aws imports the folder", p.returncode == 0, p.stderr)
    print(p.stderr.rstrip())
    text = open(out).read()
    # The header names the folder, which is a temporary one here.
    text = text.replace(dump, "examples/import/aws")
    expected_path = os.path.join(HERE, "expected.yaml")
    if BLESS:
        with open(expected_path, "w") as f:
            f.write(text)
        committed = os.path.join(ROOT, "examples", "import", "aws")
        shutil.rmtree(committed, ignore_errors=True)
        shutil.copytree(dump, committed)
        print("blessed expected.yaml and examples/import/aws")
    expected = open(expected_path).read()
    check("the import is the expected topology (BLESS=1 rewrites it)", text == expected,
          "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True), "expected.yaml", "imported")))
    p = subprocess.run([VPCSIM, "validate", out], capture_output=True, text=True)
    check("the import validates", p.returncode == 0, p.stdout + p.stderr)
    with open(out, "a") as f:
        f.write("\n" + open(os.path.join(HERE, "expect.yaml")).read())
    p = subprocess.run([VPCSIM, "check", out], capture_output=True, text=True)
    check("the import with expectations on its routes and endpoints passes vpcsim check", p.returncode == 0,
          p.stdout + p.stderr)
    print(f"\nimport aws: {passed} checks passed")
finally:
    moto.terminate()
    moto.wait(timeout=10)
    shutil.rmtree(work, ignore_errors=True)
