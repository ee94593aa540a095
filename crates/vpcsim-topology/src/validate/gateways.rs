//! Gateways: NAT gateways (an interface in a subnet), Direct Connect gateways and references to
//! a VPC's virtual private gateway (`VPC/vgw`). Internet and VPN gateways are part of their VPC.

use super::*;

impl Builder<'_> {
    pub(super) fn nat_gateways(&mut self, vpc: VpcId, v: &f::Vpc) {
        let mut table = table_for(v.nat_gateways.len());
        for e in v.nat_gateways.iter() {
            let Some(n) = &e.value else {
                table.insert(e.key.value.clone(), None);
                continue;
            };
            let id = NatGatewayId(self.t.nat_gateways.len() as u32);
            table.insert(e.key.value.clone(), Some(id));
            let public_ip = n.public_ip.as_ref().and_then(|p| self.ip4(p));
            let eni = self.request_eni(
                vpc,
                &n.subnet,
                n.ip.clone(),
                EniOwner::NatGateway(id),
                Vec::new(),
                e.key.span,
                &["nat/", &e.key.value],
            );
            self.t.nat_gateways.push(NatGateway {
                name: e.key.value.clone(),
                vpc,
                eni,
                public_ip,
                span: e.key.span,
            });
        }
        self.names.nat_gateways.insert(vpc, table);
    }

    pub(super) fn dx_gateways(&mut self, raw: &f::Topology) {
        let Some(gws) = &raw.dx_gateways.0 else {
            return;
        };
        for e in gws.iter() {
            let Some(g) = &e.value else { continue };
            let mut vpcs = Vec::new();
            for a in g.associations.iter() {
                if let Some(vpc) = self.vgw_ref(a) {
                    vpcs.push(vpc);
                }
            }
            self.t.dx_gateways.push(DxGateway {
                name: e.key.value.clone(),
                asn: g.asn.as_ref().map_or(64512, |a| a.value),
                vpcs,
                span: e.key.span,
            });
        }
    }

    /// `VPC/vgw`: a VPC's virtual private gateway.
    pub(super) fn vgw_ref(&self, text: &Spanned<String>) -> Option<VpcId> {
        let Some((vpc, "vgw")) = text.as_str().split_once('/') else {
            self.err(
                "invalid-value",
                text.span,
                format!("'{}' does not name a VPN gateway", text.value),
                "write `VPC/vgw`, for example `shared/vgw`",
            );
            return None;
        };
        let vpc_name = Spanned::new(text.span, vpc.to_string());
        let id = self.resolve(Some(&self.names.vpcs), &vpc_name, "VPC", "")?;
        if self.t.vpcs[id.index()].vpn_gateway.is_none() {
            self.err(
                "unknown-reference",
                text.span,
                format!("VPC '{vpc}' has no VPN gateway"),
                "add `vpn_gateway: { asn: 64512 }` to the VPC",
            );
            return None;
        }
        Some(id)
    }
}
