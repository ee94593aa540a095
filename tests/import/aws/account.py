"""Builds the account tests/import/aws imports, with boto3, against ENDPOINT (moto in server mode):
two VPCs in two Regions, subnets in two AZs, route tables, an S3 gateway endpoint, an S3
interface endpoint with private DNS, security groups, a network ACL, a VPN gateway and a VPN
connection, an instance, a peering, a private hosted zone with an alias to the interface
endpoint, a Resolver inbound endpoint and a forwarding rule, and a bucket with a policy.

    python3 account.py ENDPOINT
"""

import json
import sys

import boto3

endpoint = sys.argv[1]
kw = dict(endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing")


def tags(kind, name):
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]


east = boto3.client("ec2", region_name="us-east-1", **kw)
west = boto3.client("ec2", region_name="us-west-2", **kw)

vpc = east.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=tags("vpc", "shared"))["Vpc"]["VpcId"]
app = east.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a",
                         TagSpecifications=tags("subnet", "app-a"))["Subnet"]["SubnetId"]
ep_a = east.create_subnet(VpcId=vpc, CidrBlock="10.0.10.0/24", AvailabilityZone="us-east-1a",
                          TagSpecifications=tags("subnet", "endpoints-a"))["Subnet"]["SubnetId"]
ep_b = east.create_subnet(VpcId=vpc, CidrBlock="10.0.11.0/24", AvailabilityZone="us-east-1b",
                          TagSpecifications=tags("subnet", "endpoints-b"))["Subnet"]["SubnetId"]
private = east.create_route_table(VpcId=vpc, TagSpecifications=tags("route-table", "private"))["RouteTable"]["RouteTableId"]
east.associate_route_table(RouteTableId=private, SubnetId=app)
endpoints_rt = east.create_route_table(VpcId=vpc, TagSpecifications=tags("route-table", "endpoints"))["RouteTable"]["RouteTableId"]
for s in (ep_a, ep_b):
    east.associate_route_table(RouteTableId=endpoints_rt, SubnetId=s)

gateway = east.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", VpcEndpointType="Gateway",
                                   RouteTableIds=[private],
                                   TagSpecifications=tags("vpc-endpoint", "s3-gateway"))["VpcEndpoint"]["VpcEndpointId"]
endpoint_sg = east.create_security_group(GroupName="endpoint-sg", Description="HTTPS to the endpoint", VpcId=vpc)["GroupId"]
east.authorize_security_group_ingress(GroupId=endpoint_sg, IpPermissions=[
    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
     "IpRanges": [{"CidrIp": "10.0.0.0/16"}, {"CidrIp": "10.1.0.0/16"}, {"CidrIp": "172.16.0.0/16"}]}])
resolver_sg = east.create_security_group(GroupName="resolver-sg", Description="DNS from the data center", VpcId=vpc)["GroupId"]
east.authorize_security_group_ingress(GroupId=resolver_sg, IpPermissions=[
    {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "172.16.0.0/16"}]},
    {"IpProtocol": "tcp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "172.16.0.0/16"}]}])
app_sg = east.create_security_group(GroupName="app-sg", Description="application servers", VpcId=vpc)["GroupId"]
east.authorize_security_group_ingress(GroupId=app_sg, IpPermissions=[
    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": app_sg}]}])
interface = east.create_vpc_endpoint(
    VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", VpcEndpointType="Interface", SubnetIds=[ep_a, ep_b],
    SecurityGroupIds=[endpoint_sg], PrivateDnsEnabled=True,
    PolicyDocument=json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*",
                                              "Action": ["s3:GetObject", "s3:PutObject"],
                                              "Resource": ["arn:aws:s3:::corp-reports", "arn:aws:s3:::corp-reports/*"]}]}),
    TagSpecifications=tags("vpc-endpoint", "s3-interface"))["VpcEndpoint"]

vgw = east.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=64512)["VpnGateway"]["VpnGatewayId"]
east.attach_vpn_gateway(VpcId=vpc, VpnGatewayId=vgw)
cgw = east.create_customer_gateway(Type="ipsec.1", PublicIp="198.51.100.7", BgpAsn=65000)["CustomerGateway"]["CustomerGatewayId"]
east.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw, VpnGatewayId=vgw,
                           TagSpecifications=tags("vpn-connection", "vpn-backup"))
east.create_route(RouteTableId=private, DestinationCidrBlock="172.16.0.0/12", GatewayId=vgw)

acl = east.create_network_acl(VpcId=vpc, TagSpecifications=tags("network-acl", "app-acl"))["NetworkAcl"]["NetworkAclId"]
for egress in (False, True):
    east.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="-1", RuleAction="allow",
                                  Egress=egress, CidrBlock="0.0.0.0/0")
    east.create_network_acl_entry(NetworkAclId=acl, RuleNumber=90, Protocol="6", RuleAction="deny",
                                  Egress=egress, CidrBlock="192.0.2.0/24", PortRange={"From": 22, "To": 22})

east.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=app, PrivateIpAddress="10.0.1.10",
                   SecurityGroupIds=[app_sg], TagSpecifications=tags("instance", "app-1"))

west_vpc = west.create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=tags("vpc", "analytics"))["Vpc"]["VpcId"]
west_subnet = west.create_subnet(VpcId=west_vpc, CidrBlock="10.1.1.0/24", AvailabilityZone="us-west-2a",
                                 TagSpecifications=tags("subnet", "main"))["Subnet"]["SubnetId"]
west.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=west_subnet, PrivateIpAddress="10.1.1.20",
                   TagSpecifications=tags("instance", "etl-1"))
pcx = east.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=west_vpc, PeerRegion="us-west-2",
                                         TagSpecifications=tags("vpc-peering-connection", "shared-analytics"))
pcx = pcx["VpcPeeringConnection"]["VpcPeeringConnectionId"]
west.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
east.create_route(RouteTableId=endpoints_rt, DestinationCidrBlock="10.1.0.0/16", VpcPeeringConnectionId=pcx)
west_main = west.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [west_vpc]}])["RouteTables"][0]["RouteTableId"]
west.create_route(RouteTableId=west_main, DestinationCidrBlock="10.0.0.0/16", VpcPeeringConnectionId=pcx)

r53 = boto3.client("route53", region_name="us-east-1", **kw)
zone = r53.create_hosted_zone(Name="internal.example.com", CallerReference="vpcsim",
                              VPC={"VPCRegion": "us-east-1", "VPCId": vpc},
                              HostedZoneConfig={"PrivateZone": True, "Comment": "internal names"})["HostedZone"]["Id"]
dns_name = interface["DnsEntries"][0]["DnsName"]
r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
    {"Action": "CREATE", "ResourceRecordSet": {"Name": "db.internal.example.com", "Type": "A", "TTL": 60,
                                               "ResourceRecords": [{"Value": "10.0.1.20"}]}},
    {"Action": "CREATE", "ResourceRecordSet": {"Name": "s3.internal.example.com", "Type": "A",
                                               "AliasTarget": {"HostedZoneId": interface["DnsEntries"][0]["HostedZoneId"],
                                                               "DNSName": dns_name, "EvaluateTargetHealth": False}}}]})

rr = boto3.client("route53resolver", region_name="us-east-1", **kw)
rr.create_resolver_endpoint(CreatorRequestId="inbound", Name="inbound", SecurityGroupIds=[resolver_sg],
                            Direction="INBOUND",
                            IpAddresses=[{"SubnetId": ep_a, "Ip": "10.0.10.53"}, {"SubnetId": ep_b, "Ip": "10.0.11.53"}])
outbound = rr.create_resolver_endpoint(CreatorRequestId="outbound", Name="outbound", SecurityGroupIds=[resolver_sg],
                                       Direction="OUTBOUND",
                                       IpAddresses=[{"SubnetId": ep_a, "Ip": "10.0.10.54"},
                                                    {"SubnetId": ep_b, "Ip": "10.0.11.54"}])["ResolverEndpoint"]["Id"]
rule = rr.create_resolver_rule(CreatorRequestId="corp", Name="corp", RuleType="FORWARD", DomainName="corp.example.com",
                               TargetIps=[{"Ip": "172.16.0.2", "Port": 53}],
                               ResolverEndpointId=outbound)["ResolverRule"]["Id"]
rr.associate_resolver_rule(ResolverRuleId=rule, VPCId=vpc)

s3 = boto3.client("s3", region_name="us-east-1", **kw)
s3.create_bucket(Bucket="corp-reports")
s3.put_bucket_policy(Bucket="corp-reports", Policy=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Sid": "endpoints-only", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                   "Resource": ["arn:aws:s3:::corp-reports", "arn:aws:s3:::corp-reports/*"],
                   "Condition": {"StringNotEquals": {"aws:sourceVpce": [interface["VpcEndpointId"], gateway]}}}]}))
print("account built")
