#!/usr/bin/env python3
"""End-to-end tests of the emulation front with the real clients a user runs: the aws CLI, boto3,
curl and openssl, through `vpcsim exec` and `vpcsim serve --front`, on tests/e2e/emulation.yaml
(hybrid-s3 with the extra pieces the failure kinds need).

    python3 tests/e2e/run.py [PATH/TO/vpcsim]

Needs `aws` (awscli v1) and `boto3` importable by this Python (`.ci/run` makes a virtualenv with
pinned versions), `curl` and `openssl`. Exits 1 on the first failed check, naming it.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VPCSIM = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "target", "debug", "vpcsim")
TOPO = os.path.join(ROOT, "tests", "e2e", "emulation.yaml")
BIN = os.path.dirname(os.path.abspath(sys.executable))  # the virtualenv's aws
VPCE = "vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com"
BUCKET_URL = f"https://bucket.{VPCE}"
BUCKET = "DOC-EXAMPLE-BUCKET1"

work = tempfile.mkdtemp(prefix="vpcsim-e2e-")
data = os.path.join(work, "data")
passed = 0


def check(name, ok, detail=""):
    global passed
    if not ok:
        print(f"FAIL {name}\n{detail}")
        sys.exit(1)
    passed += 1
    print(f"ok   {name}")


def vexec(source, command, fail=(), explain=True, drop_delay="0.2", principal=None, topo=TOPO):
    """Runs COMMAND (a shell line) through `vpcsim exec` from SOURCE."""
    args = [VPCSIM, "exec", topo, "--from", source, "--data", data, "--drop-delay", drop_delay]
    for f in fail:
        args += ["--fail", f]
    if principal:
        args += ["--principal", principal]
    if explain:
        args.append("--explain")
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    p = subprocess.run(args + ["--", "sh", "-c", command], cwd=work, env=env,
                       capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def aws(source, line, **kw):
    return vexec(source, "aws " + line, **kw)


rc, out, err = vexec("datacenter/build-server", "printenv AWS_ACCESS_KEY_ID", explain=False)
check("vpcsim exec hands the command the keys written in the topology (access_key:)",
      out.strip() == "AKIAVPCSIME2ETEST01", out + err)

# --- The seed's three CLI examples, adapted to the topology's names ------------------------------
rc, out, err = aws("datacenter/build-server",
                   f"s3 --endpoint-url {BUCKET_URL} cp s3://{BUCKET}/seeded/hello.txt -")
check("an object written in the topology (objects:) is there to download", out == "hello from the topology\n",
      out + err)

with open(os.path.join(work, "report.csv"), "w") as f:
    f.write("id,total\n1,42\n")

rc, out, err = aws("datacenter/build-server",
                   f"s3 --region us-east-1 --endpoint-url {BUCKET_URL} cp report.csv s3://{BUCKET}/report.csv")
check("aws s3 cp uploads through the interface endpoint over Direct Connect", rc == 0, out + err)
check("the upload is explained: allowed, via dx-primary and s3-interface",
      re.search(r"PUT .*/DOC-EXAMPLE-BUCKET1/report.csv -> 200 allowed .*via dx-primary -> s3-interface", err), err)

rc, out, err = aws("datacenter/build-server",
                   f"s3 --region us-east-1 --endpoint-url {BUCKET_URL} cp s3://{BUCKET}/report.csv back.csv")
same = rc == 0 and open(os.path.join(work, "back.csv")).read() == open(os.path.join(work, "report.csv")).read()
check("aws s3 cp downloads the same bytes", same, out + err)

rc, out, err = aws("datacenter/build-server",
                   f"s3 --region us-east-1 --endpoint-url {BUCKET_URL} ls s3://{BUCKET}/")
check("seed CLI example 1 (ls through the endpoint): AccessDenied, as the endpoint policy allows no listing",
      rc != 0 and "An error occurred (AccessDenied) when calling the ListObjectsV2 operation" in err, err)
check("the denial is explained by the endpoint policy",
      "implicitly denied at endpoint s3-interface" in err, err)

rc, out, err = aws("datacenter/build-server",
                   "s3api list-objects-v2 --bucket arn:aws:s3:us-east-1:111122223333:accesspoint/test "
                   f"--region us-east-1 --endpoint-url https://accesspoint.{VPCE}")
check("seed CLI example 2 (an access point ARN through accesspoint.vpce-…) lists the object",
      rc == 0 and json.loads(out)["Contents"][0]["Key"] == "report.csv", out + err)

rc, out, err = aws("datacenter/build-server",
                   f"s3control --region us-east-1 --endpoint-url https://control.{VPCE} list-jobs --account-id 111122223333")
check("seed CLI example 3 (S3 Control list-jobs through control.vpce-…) answers an empty list",
      rc == 0 and json.loads(out) == {"Jobs": []}, out + err)

rc, out, err = aws("shared/app-1", f"s3api get-bucket-policy --bucket {BUCKET} --query Policy --output text")
sids = [st.get("Sid") for st in json.loads(out)["Statement"]] if rc == 0 else None
check("GetBucketPolicy (the owner's role, through the gateway endpoint) returns the topology's policy",
      sids == ["Access-to-specific-VPCE-only", "TLS-only"], out + err)

control = f"s3control --region us-east-1 --endpoint-url https://control.{VPCE}"
rc, out, err = aws("datacenter/build-server", f"{control} list-access-points --account-id 111122223333")
aps = json.loads(out)["AccessPointList"] if rc == 0 else None
check("S3 Control ListAccessPoints lists the topology's access point",
      aps is not None and [(a["Name"], a["Bucket"], a["NetworkOrigin"]) for a in aps] == [("test", BUCKET, "Internet")],
      out + err)
rc, out, err = aws("datacenter/build-server", f"{control} get-access-point --account-id 111122223333 --name test")
check("S3 Control GetAccessPoint", rc == 0 and json.loads(out)["Bucket"] == BUCKET, out + err)
rc, out, err = aws("datacenter/build-server",
                   f"{control} get-access-point-policy --account-id 111122223333 --name test")
check("S3 Control GetAccessPointPolicy of an access point without one: NoSuchAccessPointPolicy",
      rc != 0 and "NoSuchAccessPointPolicy" in err, out + err)

deny = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Sid": "no-reports", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
    "Resource": f"arn:aws:s3:::{BUCKET}/report.csv"}]})
with open(os.path.join(work, "deny.json"), "w") as f:
    f.write(deny)
rc, out, err = aws("shared/app-1",
                   f"s3api put-bucket-policy --bucket {BUCKET} --policy file://deny.json && "
                   f"(aws s3 cp s3://{BUCKET}/report.csv - ; echo \"after put: $?\") && "
                   f"aws s3api delete-bucket-policy --bucket {BUCKET} && "
                   f"aws s3 cp s3://{BUCKET}/report.csv -")
check("PutBucketPolicy takes effect at once (its Deny refuses the next GET), DeleteBucketPolicy lifts it",
      rc == 0 and "no-reports" in err and out.endswith("id,total\n1,42\n") and "after put: 1" in out,
      out + err)
rc, out, err = aws("shared/app-1", f"s3api put-bucket-policy --bucket {BUCKET} --policy '{{\"Statement\": 5}}'")
check("a malformed policy: MalformedPolicy", rc != 0 and "MalformedPolicy" in err, out + err)

# The other object operations, from the VPC through the gateway endpoint (full-access policy), on
# a bucket named by today's rules (s3s refuses a copy source whose bucket name has capitals).
ARCHIVE = "reports-archive"
rc, out, err = aws("shared/app-1",
                   f"s3 cp s3://{ARCHIVE}/report.csv s3://{ARCHIVE}/copies/a.csv --no-progress && "
                   f"aws s3 cp s3://{ARCHIVE}/report.csv s3://{ARCHIVE}/copies/b.csv --no-progress && "
                   f"aws s3api get-object --bucket {ARCHIVE} --key copies/a.csv --range bytes=3-7 part.txt >/dev/null && "
                   f"cat part.txt && echo && "
                   f"aws s3api list-objects-v2 --bucket {ARCHIVE} --prefix copies/ --page-size 1 --query 'Contents[].Key' --output text && "
                   f"aws s3 ls s3://{ARCHIVE}/ && "
                   f"aws s3 rm s3://{ARCHIVE}/copies/a.csv && "
                   f"aws s3api delete-objects --bucket {ARCHIVE} --delete '{{\"Objects\": [{{\"Key\": \"copies/b.csv\"}}]}}' && "
                   f"aws s3api list-objects-v2 --bucket {ARCHIVE} --prefix copies/ --query 'length(Contents || `[]`)'")
lines = out.splitlines()
check("CopyObject, a ranged GetObject, ListObjectsV2 one key a page, a delimiter listing, DeleteObject, DeleteObjects",
      rc == 0 and lines[0].endswith("copies/a.csv") and lines[2] == "total"
      and lines[3:5] == ["copies/a.csv", "copies/b.csv"] and "PRE copies/" in out
      and lines[-1] == "0" and "POST" in err and "?delete" in err
      and "GetObject on arn:aws:s3:::reports-archive/report.csv" in err, out + err)

# Request headers as condition keys: sse-required has the S3 user guide's "Require SSE" bucket
# policy (deny a PutObject whose x-amz-server-side-encryption is missing or not AES256/aws:kms).
SSE = "sse-required"
rc, out, err = aws("shared/app-1", f"s3 cp report.csv s3://{SSE}/with-sse.csv --sse AES256 --no-progress")
check("aws s3 cp --sse AES256 sends x-amz-server-side-encryption: the Require-SSE bucket allows the upload",
      rc == 0 and re.search(r"PUT .*/with-sse.csv -> 200 allowed", err), out + err)
rc, out, err = aws("shared/app-1", f"s3 cp report.csv s3://{SSE}/without-sse.csv --no-progress")
check("without --sse the header is absent (Null): AccessDenied by DenyUnencryptedObjectUploads",
      rc != 0 and "AccessDenied" in err and "DenyUnencryptedObjectUploads" in err, out + err)

# Above the aws CLI's multipart threshold (8 MB): CreateMultipartUpload, UploadPart, Complete.
big = os.path.join(work, "big.bin")
with open(big, "wb") as f:
    f.write(os.urandom(9 * 1024 * 1024 + 123))
rc, out, err = aws("datacenter/build-server",
                   f"s3 --endpoint-url {BUCKET_URL} cp big.bin s3://{BUCKET}/big.bin && "
                   f"aws s3 --endpoint-url {BUCKET_URL} cp s3://{BUCKET}/big.bin big2.bin")
same = rc == 0 and open(big, "rb").read() == open(os.path.join(work, "big2.bin"), "rb").read()
check("a 9 MiB object goes up in a multipart upload and comes back the same", same, err[-2000:])
check("the multipart upload was multipart", "uploadId=" in err and "?uploads" in err, err[-2000:])

# --- The seed's three boto3 examples -------------------------------------------------------------
script = os.path.join(work, "sdk.py")
with open(script, "w") as f:
    f.write(f"""
import boto3, json
session = boto3.session.Session()
s3_client = session.client(service_name='s3', region_name='us-east-1', endpoint_url='{BUCKET_URL}')
body = s3_client.get_object(Bucket='{BUCKET}', Key='report.csv')['Body'].read().decode()
ap_client = session.client(service_name='s3', region_name='us-east-1', endpoint_url='https://accesspoint.{VPCE}')
keys = [o['Key'] for o in ap_client.list_objects_v2(Bucket='arn:aws:s3:us-east-1:111122223333:accesspoint/test')['Contents']]
control_client = session.client(service_name='s3control', region_name='us-east-1', endpoint_url='https://control.{VPCE}')
jobs = control_client.list_jobs(AccountId='111122223333')['Jobs']
print(json.dumps({{'body': body, 'keys': sorted(keys), 'jobs': jobs}}))
""")
rc, out, err = vexec("datacenter/build-server", f"{sys.executable} sdk.py")
got = json.loads(out) if rc == 0 else None
check("the seed's three boto3 examples: bucket client, access point client, control client",
      got == {"body": "id,total\n1,42\n", "keys": ["big.bin", "report.csv", "seeded/hello.txt"], "jobs": []}, out + err)

# --- curl, signed with the source's test keys (exported by vpcsim exec) ---------------------------
# S3 requires x-amz-content-sha256 on signed requests; curl sends it when given (and signs with it).
rc, out, err = vexec("datacenter/build-server",
                     'curl -sS --fail-with-body --aws-sigv4 "aws:amz:us-east-1:s3" '
                     '-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" '
                     '--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" '
                     f"{BUCKET_URL}/{BUCKET}/report.csv")
check("curl with SigV4 gets the object", rc == 0 and out == "id,total\n1,42\n", out + err)
rc, out, err = vexec("datacenter/build-server", f"curl -sS {BUCKET_URL}/{BUCKET}/report.csv")
check("unsigned curl is anonymous: AccessDenied XML", "<Code>AccessDenied</Code>" in out, out + err)
rc, out, err = vexec("datacenter/build-server",
                     'curl -sS --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:wrongsecret" '
                     '-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" '
                     f"{BUCKET_URL}/{BUCKET}/report.csv")
check("a wrong secret: SignatureDoesNotMatch", "<Code>SignatureDoesNotMatch</Code>" in out, out + err)

# A presigned URL (the aws CLI v1 signs it with signature version 2 in the query), fetched by curl
# without keys.
rc, out, err = vexec("datacenter/build-server",
                     f"url=$(aws s3 presign s3://{BUCKET}/report.csv --endpoint-url {BUCKET_URL}) && "
                     'curl -sS --fail-with-body "$url"')
check("a presigned URL (aws s3 presign) fetched with curl", rc == 0 and out == "id,total\n1,42\n", out + err)
rc, out, err = vexec("datacenter/build-server",
                     f"url=$(aws s3 presign s3://{BUCKET}/report.csv --endpoint-url {BUCKET_URL}) && "
                     'curl -sS "$(echo "$url" | sed "s/Signature=[^&]*/Signature=AAAA/")"')
check("a presigned URL with a wrong signature: SignatureDoesNotMatch",
      "<Code>SignatureDoesNotMatch</Code>" in out, out + err)

presign4 = os.path.join(work, "presign4.py")
with open(presign4, "w") as f:
    f.write(f"""
import boto3, botocore.config
s3 = boto3.client('s3', region_name='us-east-1', endpoint_url='{BUCKET_URL}',
                  config=botocore.config.Config(signature_version='s3v4'))
print(s3.generate_presigned_url('get_object', Params={{'Bucket': '{BUCKET}', 'Key': 'report.csv'}}, ExpiresIn=300))
""")
rc, out, err = vexec("datacenter/build-server",
                     f'url=$({sys.executable} presign4.py) && echo "$url" | grep -q X-Amz-Signature= && '
                     'curl -sS --fail-with-body "$url"')
check("a SigV4 presigned URL (boto3, s3v4) fetched with curl", rc == 0 and out == "id,total\n1,42\n", out + err)

# S3 on Outposts (topologies/s3-outposts.yaml): the CLI turns the access point ARN into its
# s3-outposts name, resolved to the four X-ENIs, and signs as `s3-outposts`.
OUTPOSTS = os.path.join(ROOT, "topologies", "s3-outposts.yaml")
ARN = "arn:aws:s3-outposts:us-west-2:123456789012:outpost/op-01234567890123456/accesspoint/reports"
rc, out, err = vexec("factory/historian",
                     f"aws s3api put-object --bucket {ARN} --key t.csv --body report.csv >/dev/null && "
                     f"aws s3api list-objects-v2 --bucket {ARN} --query 'Contents[].Key' --output text",
                     topo=OUTPOSTS)
check("S3 on Outposts through an access point ARN: put and list over the X-ENIs",
      rc == 0 and out.strip() == "t.csv" and "s3-outposts:PutObject" in err, out + err)
rc, out, err = vexec("factory/historian",
                     'curl -sS --aws-sigv4 "aws:amz:us-west-2:s3-outposts" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" '
                     '--user "$AWS_ACCESS_KEY_ID:wrongsecret" '
                     "https://reports-123456789012.op-01234567890123456.s3-outposts.us-west-2.amazonaws.com/t.csv",
                     topo=OUTPOSTS)
check("an s3-outposts signature that does not hold: SignatureDoesNotMatch",
      "<Code>SignatureDoesNotMatch</Code>" in out, out + err)

# --- Each failure kind through the real client ---------------------------------------------------
rc, out, err = aws("datacenter/build-server",
                   f"s3 --endpoint-url https://bucket.vpce-1a2b3c4d-5e6f-us-east-1c.s3.us-east-1.vpce.amazonaws.com "
                   f"cp s3://{BUCKET}/report.csv -")
check("a name that does not resolve from the data center (no ENI in us-east-1c): the client fails",
      rc != 0 and "could not resolve" in err and "dns.failure" in err, err)

rc, out, err = aws("analytics/etl-1", f"s3 cp s3://{BUCKET}/report.csv -")
check("no route (the peered VPC to S3's public names: the gateway endpoint does not extend): dropped",
      rc != 0 and "connection dropped" in err, err)

rc, out, err = aws("branch/kiosk", f"s3 --endpoint-url {BUCKET_URL} cp s3://{BUCKET}/report.csv -")
check("a security group drop (the branch office is not admitted by endpoint-sg): dropped",
      rc != 0 and "connection dropped" in err and "security group endpoint-sg" in err, err)

rc, out, err = aws("datacenter/build-server", f"s3 --endpoint-url {BUCKET_URL} cp s3://{BUCKET}/report.csv -",
                   fail=["dx-primary", "vpn-backup"])
check("both links failed (--fail dx-primary --fail vpn-backup): dropped",
      rc != 0 and "connection dropped" in err and "link" in err, err)

rc, out, err = aws("datacenter/build-server", f"s3 --endpoint-url {BUCKET_URL} cp s3://{BUCKET}/report.csv -",
                   fail=["dx-primary"])
check("Direct Connect failed: the VPN carries it", rc == 0 and "[via vpn-backup -> " in err, err)

# (cp asks HeadObject first: a HEAD's 403 has no body, so the CLI says "(403) … Forbidden".)
rc, out, err = aws("datacenter/build-server", f"s3 cp s3://{BUCKET}/report.csv -")
check("public S3 from on premises: the bucket policy's aws:sourceVpce rule denies it",
      rc != 0 and "(403)" in err and "Access-to-specific-VPCE-only" in err, err)

rc, out, err = aws("datacenter/build-server",
                   f"s3 --endpoint-url http://bucket.{VPCE} cp s3://{BUCKET}/report.csv -")
check("plain http:// (aws:SecureTransport false): the bucket policy's TLS-only rule denies it",
      rc != 0 and "(403)" in err and "TLS-only" in err, err)

# --- TLS, and one truth: the front's decisions are vpcsim trace's --------------------------------
def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


front, http = free_port(), free_port()
server = subprocess.Popen([VPCSIM, "serve", TOPO, "--dns-base-port", "0", "--http", f"127.0.0.1:{http}",
                           "--front", f"127.0.0.1:{front}", "--default-source", "datacenter/build-server",
                           "--data", data],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
try:
    for line in server.stdout:
        if line.startswith("Ctrl-C to stop"):
            break
    ca = os.path.join(data, "ca.pem")

    def s_client(name, *opts):
        p = subprocess.run(["openssl", "s_client", "-proxy", f"127.0.0.1:{front}", "-connect", f"{name}:443",
                            "-servername", name, "-CAfile", ca, "-verify_return_error", *opts],
                           input="", capture_output=True, text=True, timeout=60)
        m = re.search(r"Protocol\s*:\s*(\S+)", p.stdout) or re.search(r"New, (TLSv[\d.]+)", p.stdout)
        ok = p.returncode == 0 and "Verify return code: 0" in p.stdout and m is not None
        return ok, p.stdout + p.stderr

    vpce_name, public = f"bucket.{VPCE}", "s3.us-east-1.amazonaws.com"
    for name in (vpce_name, public):
        ok, text = s_client(name, "-tls1_2", "-cipher", "ECDHE")
        check(f"TLS 1.2 with ECDHE succeeds on {name}", ok, text)
        ok, text = s_client(name, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
        check(f"TLS 1.1 is refused on {name}", not ok, text)
        ok, text = s_client(name, "-tls1_2", "-cipher", "AES128-SHA:AES256-GCM-SHA384")
        check(f"a suite without forward secrecy is refused on {name}", not ok, text)
    ok, text = s_client(public, "-tls1_3")
    check("TLS 1.3 succeeds on S3's public name", ok, text)
    ok, text = s_client(vpce_name, "-tls1_3")
    check("TLS 1.3 is refused on a vpce name (PrivateLink for S3 stops at TLS 1.2)", not ok, text)

    # Requests through the front, then each of its decisions asked of vpcsim trace.
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""),
               HTTPS_PROXY=f"http://datacenter%2Fbuild-server:x@127.0.0.1:{front}",
               HTTP_PROXY=f"http://datacenter%2Fbuild-server:x@127.0.0.1:{front}", AWS_CA_BUNDLE=ca,
               AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    keys = subprocess.run([VPCSIM, "exec", TOPO, "--from", "datacenter/build-server", "--data", data, "--",
                           "sh", "-c", 'echo "$AWS_ACCESS_KEY_ID $AWS_SECRET_ACCESS_KEY"'],
                          capture_output=True, text=True).stdout.split()
    env.update(AWS_ACCESS_KEY_ID=keys[0], AWS_SECRET_ACCESS_KEY=keys[1], AWS_DEFAULT_REGION="us-east-1")
    for line in (f"s3 --endpoint-url {BUCKET_URL} cp {os.path.join(work, 'report.csv')} s3://{BUCKET}/r2.csv",
                 f"s3 --endpoint-url {BUCKET_URL} ls s3://{BUCKET}/",
                 f"s3 --endpoint-url http://bucket.{VPCE} cp s3://{BUCKET}/r2.csv -",
                 f"s3 cp s3://{BUCKET}/r2.csv -",
                 # Decided with the client's headers: denied without --sse, allowed with it.
                 f"s3 cp {os.path.join(work, 'report.csv')} s3://sse-required/r3.csv",
                 f"s3 cp {os.path.join(work, 'report.csv')} s3://sse-required/r3.csv --sse AES256"):
        subprocess.run(["aws"] + line.split(), env=env, capture_output=True, text=True, timeout=120)
    # A SigV4 presigned URL fetched by curl through the front (s3:authType REST-QUERY-STRING).
    url = subprocess.run([sys.executable, presign4], env=env, capture_output=True, text=True).stdout.strip()
    subprocess.run(["curl", "-sS", "--cacert", ca, url], env=env, capture_output=True, text=True, timeout=60)
    # vpcsim exec --connect: the command runs behind the running front instead of its own.
    p = subprocess.run([VPCSIM, "exec", TOPO, "--from", "datacenter/build-server", "--data", data,
                        "--connect", f"http://127.0.0.1:{front}", "--", "aws", "s3", "--endpoint-url",
                        BUCKET_URL, "cp", f"s3://{BUCKET}/r2.csv", "-"],
                       env=dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", "")),
                       capture_output=True, text=True, timeout=120)
    check("vpcsim exec --connect runs the command behind a running front",
          p.returncode == 0 and p.stdout == "id,total\n1,42\n", p.stdout + p.stderr)
    log = json.load(urllib.request.urlopen(f"http://127.0.0.1:{http}/requests"))["requests"]
    decisions = [d for r in log for d in r.get("decisions", [])]
    check("the front logged its decisions (GET /requests)", len(decisions) >= 4, json.dumps(log)[:2000])
    sse = [d for d in decisions if "/r3.csv" in d["request"]]
    check("the front decided the uploads with their headers: denied without --sse, allowed with it",
          [d["verdict"] for d in sse] == ["denied", "allowed"]
          and "x-amz-server-side-encryption: AES256" in sse[1]["headers"]
          and not any(h.startswith("x-amz-server-side-encryption") for h in sse[0]["headers"])
          and sse[1]["trace"]["context"].get("s3:x-amz-server-side-encryption") == ["AES256"],
          json.dumps(sse)[:3000])
    presigned = [d for d in decisions if "X-Amz-Signature=" in d["request"]]
    check("a SigV4 presigned URL through the front: s3:authType REST-QUERY-STRING, allowed",
          len(presigned) == 1 and presigned[0]["verdict"] == "allowed"
          and presigned[0]["trace"]["context"].get("s3:authType") == ["REST-QUERY-STRING"]
          and presigned[0]["trace"]["context"].get("s3:signatureversion") == ["AWS4-HMAC-SHA256"],
          json.dumps(presigned)[:3000])
    for d in decisions:
        args = [VPCSIM, "trace", TOPO, "--from", "datacenter/build-server", d["request"], "--format", "json",
                "--principal", d["principal"] or "anonymous"]
        for h in d.get("headers", []):
            args += ["--header", h]
        tls = d["trace"]["context"].get("s3:TlsVersion")
        if tls:
            args += ["--tls", tls[0]]
        t = json.loads(subprocess.run(args, capture_output=True, text=True).stdout)
        keys_compared = ("verdict", "code", "decided_by", "via", "context", "destination", "reason")
        same = all(t[k] == d["trace"][k] for k in keys_compared)
        check(f"front and vpcsim trace agree: {d['request'][:90]} -> {d['verdict']}", same,
              json.dumps([t, d["trace"]])[:3000])
finally:
    server.terminate()
    server.wait(timeout=10)
    shutil.rmtree(work, ignore_errors=True)

print(f"e2e: {passed} checks passed")
