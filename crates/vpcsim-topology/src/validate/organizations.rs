//! `organizations:`: member accounts, OUs, and the SCPs and RCPs attached to them
//! (<https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html>).
//! Also the principals' permissions boundaries and session policies, which are read here with the
//! other policies that limit what identity policies grant.

use super::*;

use vpcsim_policy::catalog::FULL_AWS_ACCESS;

impl Builder<'_> {
    /// Boundaries and session policies of each principal (in the order `principals` pushed them).
    pub(super) fn principal_limits(&mut self, raw: &f::Topology) {
        let Some(ps) = &raw.principals.0 else { return };
        let mut i = 0;
        for e in ps.iter() {
            let Some(p) = &e.value else { continue };
            let boundary = p
                .permissions_boundary
                .as_ref()
                .and_then(|src| self.policy(src, PolicyKind::Identity));
            if p.kind == PrincipalKind::User
                && let Some(first) = p.session_policies.iter().next()
            {
                self.err(
                    "invalid-value",
                    first.key.span,
                    format!("user '{}' has session policies, which limit a role's sessions", e.key.value),
                    "make the principal a role (`type: role`, the default), or move the policies under `policies:`",
                );
            }
            let mut session = Vec::new();
            for s in p.session_policies.iter() {
                if let Some(src) = &s.value
                    && let Some(doc) = self.policy(src, PolicyKind::Identity)
                {
                    session.push((s.key.value.clone(), doc));
                }
            }
            // Tags as IAM accepts them: keys of 1 to 128 characters, unique without regard to
            // case; values of up to 256; at most 50 a principal.
            let mut tags: Vec<(String, String)> = Vec::new();
            for (n, t) in p.tags.iter().enumerate() {
                let Some(v) = &t.value else { continue };
                let k = &t.key.value;
                if n == 50 {
                    self.err(
                        "invalid-value",
                        t.key.span,
                        format!("principal '{}' has more than 50 tags", e.key.value),
                        "IAM allows 50 tags a role or user: remove some",
                    );
                }
                if k.is_empty()
                    || k.chars().count() > 128
                    || k.to_ascii_lowercase().starts_with("aws:")
                {
                    self.err(
                        "invalid-value",
                        t.key.span,
                        format!("'{}' is not a tag key IAM accepts", clip(k)),
                        "a tag key has 1 to 128 characters and does not start with `aws:`",
                    );
                    continue;
                }
                if v.value.chars().count() > 256 {
                    self.err(
                        "invalid-value",
                        v.span,
                        "a tag value has at most 256 characters",
                        "shorten the value",
                    );
                    continue;
                }
                if tags.iter().any(|(x, _)| x.eq_ignore_ascii_case(k)) {
                    self.err(
                        "duplicate-key",
                        t.key.span,
                        format!(
                            "tag '{}' is given twice (tag keys compare without case)",
                            clip(k)
                        ),
                        "keep one of them",
                    );
                    continue;
                }
                tags.push((k.clone(), v.value.clone()));
            }
            if let Some(pr) = self.t.principals.get_mut(i) {
                pr.boundary = boundary;
                pr.session_policies = session;
                pr.tags = tags;
            }
            i += 1;
        }
    }

    pub(super) fn organizations(&mut self, raw: &f::Topology) {
        let Some(orgs) = &raw.organizations.0 else {
            return;
        };
        // Each account belongs to one organization at most: where it was first made a member.
        let mut members: HashMap<AccountId, Span> = HashMap::default();
        for e in orgs.iter() {
            let Some(o) = &e.value else { continue };
            self.organization(&e.key, o, &mut members);
        }
    }

    /// An AWS Organizations id: `given` as written, checked to be `prefix` and then `lengths`
    /// lowercase letters and digits (`invalid-id` otherwise: "'…' is not WHAT", with `fix`), or
    /// `derived` when the file gives none.
    fn org_id(
        &mut self,
        given: Option<&Spanned<String>>,
        prefix: &str,
        lengths: std::ops::RangeInclusive<usize>,
        what: &str,
        fix: String,
        derived: impl FnOnce() -> String,
    ) -> String {
        let Some(id) = given else {
            return derived();
        };
        let ok = id.as_str().strip_prefix(prefix).is_some_and(|r| {
            lengths.contains(&r.len())
                && r.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        if !ok {
            self.err(
                "invalid-id",
                id.span,
                format!("'{}' is not {what}", clip(&id.value)),
                fix,
            );
        }
        id.value.clone()
    }

    fn organization(
        &mut self,
        key: &Spanned<String>,
        o: &f::Organization,
        members: &mut HashMap<AccountId, Span>,
    ) {
        let seed = self.t.seed;
        let aws_id = self.org_id(
            o.id.as_ref(),
            "o-",
            10..=32,
            "an organization id",
            "write 'o-' followed by 10 to 32 lowercase letters and digits (o-a1b2c3d4e5), or leave it out to have one derived".into(),
            || hex_id("o", stable_hash(seed, &["org", &key.value]), 10),
        );
        let root_id = self.org_id(
            o.root_id.as_ref(),
            "r-",
            4..=32,
            "an organization root id",
            "write 'r-' followed by 4 to 32 lowercase letters and digits (r-ab12), or leave it out to have one derived".into(),
            || hex_id("r", stable_hash(seed, &["org-root", &key.value]), 4),
        );
        let root_letters = root_id.strip_prefix("r-").unwrap_or("").to_string();
        let management = self.account(&o.management_account);
        // The policies, by name; FullAWSAccess is built in unless the file defines its own.
        let mut scps: Vec<(String, Policy)> = Vec::new();
        for s in o.scps.iter() {
            if let Some(src) = &s.value
                && let Some(doc) = self.policy(src, PolicyKind::Scp)
            {
                scps.push((s.key.value.clone(), doc));
            }
        }
        let defined_scps: Vec<String> = o.scps.iter().map(|s| s.key.value.clone()).collect();
        if !defined_scps.iter().any(|n| n == "FullAWSAccess")
            && let Some(full) = self.parse_policy_text(
                "FullAWSAccess (AWS managed SCP)".into(),
                FULL_AWS_ACCESS.into(),
                PolicyKind::Scp,
            )
        {
            scps.push(("FullAWSAccess".into(), full));
        }
        let mut rcps: Vec<(String, Policy)> = Vec::new();
        for s in o.rcps.iter() {
            if let Some(src) = &s.value
                && let Some(doc) = self.policy(src, PolicyKind::Rcp)
            {
                rcps.push((s.key.value.clone(), doc));
            }
        }
        let defined_rcps: Vec<String> = o.rcps.iter().map(|s| s.key.value.clone()).collect();
        let mut all_scps = defined_scps.clone();
        if !all_scps.iter().any(|n| n == "FullAWSAccess") {
            all_scps.push("FullAWSAccess".into());
        }

        // Attachments: names to indexes, each unknown name an error with a suggestion.
        let attach = |this: &Self,
                      names: Option<&vpcsim_syntax::List<Spanned<String>>>,
                      defined: &[String],
                      loaded: &[(String, Policy)],
                      kind: &str|
         -> Vec<usize> {
            let Some(names) = names else {
                // No list: FullAWSAccess for SCPs (attached by default), nothing for RCPs.
                return match kind {
                    "SCP" => loaded
                        .iter()
                        .position(|(n, _)| n == "FullAWSAccess")
                        .into_iter()
                        .collect(),
                    _ => Vec::new(),
                };
            };
            let mut out = Vec::new();
            for n in names.iter() {
                match loaded.iter().position(|(l, _)| *l == n.value) {
                    Some(i) => out.push(i),
                    // Defined but not loaded: its own error was reported.
                    None if defined.contains(&n.value) => {}
                    None => {
                        let field = if kind == "SCP" { "scps" } else { "rcps" };
                        let help =
                            suggest::hint(n.as_str(), kind, defined.iter().map(String::as_str));
                        this.d.push(
                            Diagnostic::error(
                                "unknown-reference",
                                n.span,
                                format!(
                                    "no {kind} named '{}' in organization '{}'",
                                    clip(&n.value),
                                    key.value
                                ),
                            )
                            .with_label(format!("this {kind} is not defined"))
                            .with_help(format!(
                                "{help} (define it under the organization's `{field}:`)"
                            )),
                        );
                    }
                }
            }
            out
        };

        let mut nodes = vec![OrgNode {
            kind: OrgNodeKind::Root,
            aws_id: root_id.clone(),
            parent: None,
            scps: attach(
                self,
                o.root.as_ref().and_then(|r| r.value.scps.as_ref()),
                &all_scps,
                &scps,
                "SCP",
            ),
            rcps: attach(
                self,
                o.root.as_ref().map(|r| &r.value.rcps),
                &defined_rcps,
                &rcps,
                "RCP",
            ),
        }];
        // OUs first (their parents resolved once all are known), then accounts.
        let unit_names: Vec<&str> = o.units.iter().map(|u| u.key.as_str()).collect();
        let first_unit = nodes.len();
        for u in o.units.iter() {
            let v = u.value.as_ref();
            let aws_id = self.org_id(
                v.and_then(|v| v.id.as_ref()),
                &format!("ou-{root_letters}-"),
                8..=32,
                "an OU id of this organization",
                format!(
                    "write 'ou-{}-' (the root id's letters) followed by 8 to 32 lowercase letters and digits, or leave it out to have one derived",
                    if root_letters.is_empty() { "ROOT" } else { root_letters.as_str() }
                ),
                || {
                    let hash = stable_hash(seed, &["org-unit", &key.value, &u.key.value]);
                    format!("ou-{root_letters}-{}", &hex_id("x", hash, 8)[2..])
                },
            );
            nodes.push(OrgNode {
                kind: OrgNodeKind::Unit(u.key.value.clone()),
                aws_id,
                parent: Some(0),
                scps: attach(
                    self,
                    v.and_then(|v| v.scps.as_ref()),
                    &all_scps,
                    &scps,
                    "SCP",
                ),
                rcps: attach(self, v.map(|v| &v.rcps), &defined_rcps, &rcps, "RCP"),
            });
        }
        let unit = |this: &Self, name: &Spanned<String>| -> Option<usize> {
            match unit_names.iter().position(|u| *u == name.value) {
                Some(i) => Some(first_unit + i),
                None => {
                    this.d.push(
                        Diagnostic::error(
                            "unknown-reference",
                            name.span,
                            format!(
                                "no OU named '{}' in organization '{}'",
                                clip(&name.value),
                                key.value
                            ),
                        )
                        .with_label("this OU is not defined")
                        .with_help(format!(
                            "{} (define it under the organization's `units:`, or leave the field out for the root)",
                            suggest::hint(name.as_str(), "OU", unit_names.iter().copied())
                        )),
                    );
                    None
                }
            }
        };
        for (i, u) in o.units.iter().enumerate() {
            let Some(parent) = u.value.as_ref().and_then(|v| v.parent.as_ref()) else {
                continue;
            };
            if let Some(p) = unit(self, parent) {
                nodes[first_unit + i].parent = Some(p);
            }
        }
        // No OU may be its own ancestor.
        for (i, u) in o.units.iter().enumerate() {
            let mut at = first_unit + i;
            let mut steps = 0;
            while let Some(p) = nodes[at].parent {
                steps += 1;
                if p == first_unit + i || steps > nodes.len() {
                    let span = u
                        .value
                        .as_ref()
                        .and_then(|v| v.parent.as_ref())
                        .map_or(u.key.span, |p| p.span);
                    self.err(
                        "organization-cycle",
                        span,
                        format!(
                            "OU '{}' is inside itself: its parents lead back to it",
                            u.key.value
                        ),
                        "give one OU of the loop no `parent:` (it then sits under the root)",
                    );
                    nodes[first_unit + i].parent = Some(0);
                    break;
                }
                at = p;
            }
        }
        for a in o.accounts.iter() {
            let Some(account) = self.account(&a.key) else {
                continue;
            };
            if let Some(first) = members.get(&account) {
                self.d.push(
                    Diagnostic::error(
                        "duplicate-id",
                        a.key.span,
                        format!(
                            "account {} is already a member of an organization",
                            a.key.value
                        ),
                    )
                    .with_related(*first, "first made a member here")
                    .with_help("an AWS account belongs to one organization at most: list it once"),
                );
                continue;
            }
            members.insert(account, a.key.span);
            let v = a.value.as_ref();
            let parent = v
                .and_then(|v| v.unit.as_ref())
                .map_or(Some(0), |u| unit(self, u));
            nodes.push(OrgNode {
                kind: OrgNodeKind::Account(account),
                aws_id: a.key.value.clone(),
                parent: Some(parent.unwrap_or(0)),
                scps: attach(
                    self,
                    v.and_then(|v| v.scps.as_ref()),
                    &all_scps,
                    &scps,
                    "SCP",
                ),
                rcps: attach(self, v.map(|v| &v.rcps), &defined_rcps, &rcps, "RCP"),
            });
        }
        let Some(management) = management else {
            return;
        };
        // The management account is a member too (it is where the organization is run).
        if !nodes
            .iter()
            .any(|n| n.kind == OrgNodeKind::Account(management))
        {
            if let Some(first) = members.get(&management) {
                self.d.push(
                    Diagnostic::error(
                        "duplicate-id",
                        o.management_account.span,
                        format!(
                            "account {} is already a member of another organization",
                            o.management_account.value
                        ),
                    )
                    .with_related(*first, "made a member here")
                    .with_help("an AWS account belongs to one organization at most"),
                );
                return;
            }
            members.insert(management, o.management_account.span);
            nodes.push(OrgNode {
                kind: OrgNodeKind::Account(management),
                aws_id: o.management_account.value.clone(),
                parent: Some(0),
                scps: Vec::new(),
                rcps: Vec::new(),
            });
        }
        self.t.organizations.push(Organization {
            name: key.value.clone(),
            aws_id,
            management,
            scps,
            rcps,
            nodes,
            span: key.span,
        });
    }
}
