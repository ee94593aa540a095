#!/usr/bin/env python3
"""Writes N `vpcsim policy eval --batch` cases of 1-5 statements per policy (bench/policy.sh).

  policy_cases.py N distinct|shared > cases.jsonl

distinct: every case has policies of its own text (each is parsed: the worst case);
shared:   the cases draw their policies from 64 sets (what a test suite asking many questions
          about a few policies looks like: each distinct policy is parsed once).
"""
import json
import sys

n, mode = int(sys.argv[1]), sys.argv[2]
ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject", "s3:GetBucketPolicy"]


def statements(count, tag, effect_deny_last):
    out = []
    for i in range(count):
        s = {
            "Sid": f"S{i}{tag}",
            "Effect": "Deny" if effect_deny_last and i == count - 1 else "Allow",
            "Action": ACTIONS[i % len(ACTIONS)] if i % 2 else ["s3:Get*", "s3:List*"],
            "Resource": [f"arn:aws:s3:::bucket-{i}/*", "arn:aws:s3:::DOC-EXAMPLE-BUCKET1/*"],
        }
        if i % 3 == 1:
            s["Condition"] = {"StringEquals": {"aws:SourceVpce": ["vpce-1a2b3c4d", f"vpce-{i:08x}"]}}
        if i % 3 == 2:
            s["Condition"] = {"ForAnyValue:StringLike": {"aws:TagKeys": ["team*", "cost"]}}
        out.append(s)
    return out


def case(k):
    # The policies come from p: the case's own number, or one of 64 sets.
    p = k if mode == "distinct" else k % 64
    tag = str(p)
    identity = {"Version": "2012-10-17", "Statement": statements(1 + p % 5, tag, p % 7 == 0)}
    policies = {"identity": identity}
    if p % 2 == 0:
        st = statements(1 + (p // 2) % 5, tag, False)
        for s in st:
            s["Principal"] = {"AWS": "111122223333"} if p % 4 == 0 else "*"
        policies["bucket"] = {"Version": "2012-10-17", "Statement": st}
    if p % 3 == 0:
        st = statements(1 + (p // 3) % 5, tag, False)
        for s in st:
            s["Principal"] = "*"
        policies["endpoint"] = {"Statement": st}
    return {
        "id": k,
        "policies": policies,
        "caller": "arn:aws:iam::111122223333:role/app" if k % 5 else "arn:aws:iam::444455556666:role/partner",
        "action": ACTIONS[k % len(ACTIONS)],
        "resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET1/report.csv",
        "resource_account": "111122223333",
        "context": {"aws:SourceVpce": "vpce-1a2b3c4d", "aws:TagKeys": ["team-a", "x"], "aws:SecureTransport": "true"},
    }


out = sys.stdout
for k in range(n):
    out.write(json.dumps(case(k), separators=(",", ":")) + "\n")
