//! VPC peering connections.

use super::*;

impl Builder<'_> {
    pub(super) fn peerings(&mut self, raw: &f::Topology) {
        let Some(peerings) = &raw.peerings.0 else {
            return;
        };
        let mut pairs: HashMap<(VpcId, VpcId), Span> = HashMap::default();
        for e in peerings.iter() {
            let Some(p) = &e.value else { continue };
            let ends: Vec<Option<VpcId>> = p
                .between
                .value
                .iter()
                .map(|v| self.resolve(Some(&self.names.vpcs), v, "VPC", ""))
                .collect();
            let id = self.aws_id(p.id.as_ref(), "pcx", &["pcx", &e.key.value]);
            let mut vpcs = None;
            if ends.len() != 2 {
                self.err(
                    "invalid-value",
                    p.between.span,
                    format!("peering '{}' must connect exactly two VPCs", e.key.value),
                    "write `between: [VPC_A, VPC_B]`",
                );
            } else if let [Some(a), Some(b)] = ends[..] {
                vpcs = Some([a, b]);
                if a == b {
                    self.err(
                        "invalid-value",
                        p.between.span,
                        "a VPC cannot peer with itself",
                        "name two different VPCs",
                    );
                } else {
                    let key = (a.min(b), a.max(b));
                    if let Some(first) = pairs.get(&key) {
                        self.d.push(
                            Diagnostic::error(
                                "duplicate-peering",
                                p.between.span,
                                "these two VPCs are already peered",
                            )
                            .with_related(*first, "the other peering")
                            .with_help("AWS allows one peering connection between two VPCs"),
                        );
                    }
                    pairs.insert(key, p.between.span);
                    let (va, vb) = (&self.t.vpcs[a.index()], &self.t.vpcs[b.index()]);
                    let overlap = va.cidrs.iter().find_map(|x| {
                        vb.cidrs
                            .iter()
                            .find(|y| x.contains(&y.network()) || y.contains(&x.network()))
                            .map(|y| (*x, *y))
                    });
                    if let Some((x, y)) = overlap {
                        self.err(
                            "peering-overlap",
                            p.between.span,
                            format!("VPC '{}' ({x}) and VPC '{}' ({y}) have overlapping CIDRs and cannot be peered", va.name, vb.name),
                            "AWS rejects a peering between VPCs whose CIDR blocks overlap; renumber one of them",
                        );
                    }
                }
            }
            self.t.peerings.push(Peering {
                name: e.key.value.clone(),
                aws_id: id,
                vpcs,
                span: e.key.span,
            });
        }
    }
}
