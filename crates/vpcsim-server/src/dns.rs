//! The DNS side: one [`ViewHandler`] per view, answering from [`Dns::resolve`](vpcsim_dns::Dns).

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use hickory_proto::op::{
    Edns, Header, HeaderCounts, Message, MessageType, Metadata, OpCode, ResponseCode,
};
use hickory_proto::rr::rdata::{A, AAAA, CNAME};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType as WireType};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder, BinEncodable, BinEncoder};
use hickory_server::net::runtime::Time;
use hickory_server::net::xfer::Protocol;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::{MessageResponse, MessageResponseBuilder, Queries};
use tracing::debug;
use vpcsim_dns::{Rcode, RecordType, Rotation, View};

use crate::logs::Throttle;
use crate::state::{Shared, Snapshot};

/// Answers that could not be encoded (SERVFAIL instead).
static ENCODING: Throttle = Throttle::new();
/// Record data that does not convert to wire form.
static CONVERSION: Throttle = Throttle::new();
/// Queries to a view that a reload removed.
static NO_VIEW: Throttle = Throttle::new();
/// Answers that could not be sent.
pub(crate) static SENDING: Throttle = Throttle::new();

/// The largest UDP payload the server advertises and sends (RFC 6891 and the DNS flag day 2020
/// recommend 1232; vpcsim is local, so it accepts what the client asks up to this).
pub const MAX_UDP_PAYLOAD: u16 = 4096;

/// Answers the queries of one view (`public`, `VPC`, `VPC/inbound` or `SITE`) from the served
/// topology. The view is held by name, so a reload that renumbers VPCs keeps it; a view that a
/// reload removed answers SERVFAIL.
///
/// Clones share the rotation: the UDP sockets and the TCP listener of one view are one listener.
#[derive(Clone, Debug)]
pub struct ViewHandler {
    shared: Shared,
    label: Arc<str>,
    rotation: Arc<Mutex<Rotation>>,
}

impl ViewHandler {
    /// A handler for the view named `label` (as `vpcsim resolve --from` takes it).
    pub fn new(shared: Shared, label: impl Into<String>) -> Self {
        ViewHandler {
            shared,
            label: Arc::from(label.into()),
            rotation: Arc::new(Mutex::new(Rotation::new())),
        }
    }

    /// The view's name.
    pub fn label(&self) -> &str {
        &self.label
    }
}

/// A response before encoding.
pub(crate) struct Outcome {
    pub(crate) metadata: Metadata,
    pub(crate) answers: Arc<[Record]>,
    /// The zone's SOA of a negative answer (RFC 2308), for the authority section.
    pub(crate) authority: Arc<[Record]>,
    pub(crate) edns: Option<Edns>,
    /// True when the response is the same for every query with the same bytes after the ID, for
    /// this generation of the topology: an answer of the model that does not rotate.
    pub(crate) cacheable: bool,
    /// For an answer with one load-balanced record set: its rotation (the answer is one of
    /// `records` answers, chosen by the listener's counter).
    pub(crate) rotation: Option<vpcsim_dns::Rotated>,
}

/// Entries an [`AnswerCache`] holds at most; a full cache starts again empty.
const CACHE_ENTRIES: usize = 16_384;

/// The model's answers already turned into wire records, by query name and type, for one UDP
/// socket's loop (so without a lock). Only answers that do not rotate are kept: they are the same
/// every time for one topology, and the cache empties when a reload brings another. Queries for
/// rotated names (Regional endpoint names, S3 on Outposts) always go to the model, which advances
/// the listener's rotation exactly as without a cache.
///
/// It also keeps whole responses, as sent, by the bytes of the query after its ID (flags, counts,
/// question and OPT record: everything the response depends on), so that a query asked again is
/// answered by copying its response and setting the ID, without decoding or encoding anything
/// (what NSD does with its precompiled answers). Only responses whose [`Outcome::cacheable`] is
/// set are kept.
#[derive(Debug, Default)]
pub struct AnswerCache {
    generation: u64,
    entries: std::collections::HashMap<(String, u16), Cached>,
    wire: std::collections::HashMap<Box<[u8]>, Box<[u8]>, foldhash::fast::FixedState>,
    /// The responses of rotated answers by the bytes of the query after its ID: one per offset.
    rotating: std::collections::HashMap<Box<[u8]>, Rotating, foldhash::fast::FixedState>,
}

/// The responses to one query whose answer rotates, kept as the model gave them.
#[derive(Debug)]
struct Rotating {
    /// The counter the answer advances.
    view: View,
    /// The name, shared with the resolution's [`vpcsim_dns::Rotated`].
    name: Arc<str>,
    records: u64,
    /// The response for each offset, as far as seen.
    responses: Vec<Option<Box<[u8]>>>,
    /// How many of `responses` are known: once all are, the counter picks one.
    known: usize,
}

/// The most records a rotated answer kept by offset may have (endpoint ENIs, X-ENIs).
const MAX_ROTATED_RECORDS: u64 = 64;

/// The longest query whose response the wire cache keeps (a query is a header, one name of up to
/// 255 bytes, its type and class, and an OPT record with a few options).
const WIRE_KEY_MAX: usize = 512;

#[derive(Debug)]
struct Cached {
    rcode: Rcode,
    authoritative: bool,
    answers: Arc<[Record]>,
    authority: Arc<[Record]>,
}

impl AnswerCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The response kept for `message` (its ID still to be set), if the cache is of `generation`.
    fn wire_hit(&self, generation: u64, message: &[u8]) -> Option<&[u8]> {
        if self.generation != generation || !(12..=WIRE_KEY_MAX).contains(&message.len()) {
            return None;
        }
        self.wire.get(&message[2..]).map(|r| &**r)
    }

    /// The responses kept for `message`, a query whose answer rotates, once one is known for
    /// every offset, if the cache is of `generation`.
    fn rotating_hit(&self, generation: u64, message: &[u8]) -> Option<&Rotating> {
        if self.generation != generation || !(12..=WIRE_KEY_MAX).contains(&message.len()) {
            return None;
        }
        self.rotating
            .get(&message[2..])
            .filter(|r| r.known == r.responses.len())
    }

    /// Keeps `response` as the answer to `message` with the rotation `rotated`.
    fn rotating_keep(&mut self, message: &[u8], rotated: vpcsim_dns::Rotated, response: &[u8]) {
        if !(12..=WIRE_KEY_MAX).contains(&message.len())
            || response.len() < 12
            || !(2..=MAX_ROTATED_RECORDS).contains(&rotated.records)
            || rotated.offset >= rotated.records
        {
            return;
        }
        if self.rotating.len() >= CACHE_ENTRIES {
            self.rotating.clear();
        }
        let entry = self
            .rotating
            .entry(message[2..].into())
            .or_insert_with(|| Rotating {
                view: rotated.view,
                name: rotated.name.clone(),
                records: rotated.records,
                responses: vec![None; rotated.records as usize],
                known: 0,
            });
        if entry.view != rotated.view
            || entry.name != rotated.name
            || entry.records != rotated.records
        {
            return;
        }
        let slot = &mut entry.responses[rotated.offset as usize];
        if slot.is_none() {
            entry.known += 1;
        }
        *slot = Some(response.into());
    }

    /// Keeps `response` as the answer to `message` (of the cache's generation).
    fn wire_keep(&mut self, message: &[u8], response: &[u8]) {
        if !(12..=WIRE_KEY_MAX).contains(&message.len()) || response.len() < 12 {
            return;
        }
        if self.wire.len() >= CACHE_ENTRIES {
            self.wire.clear();
        }
        self.wire.insert(message[2..].into(), response.into());
    }
}

/// Maps a wire type to one the model answers; `None` for other types.
fn model_type(t: WireType) -> Option<RecordType> {
    Some(match t {
        WireType::A => RecordType::A,
        WireType::AAAA => RecordType::Aaaa,
        WireType::CNAME => RecordType::Cname,
        WireType::TXT => RecordType::Txt,
        WireType::MX => RecordType::Mx,
        WireType::SRV => RecordType::Srv,
        WireType::NS => RecordType::Ns,
        WireType::PTR => RecordType::Ptr,
        WireType::CAA => RecordType::Caa,
        WireType::SOA => RecordType::Soa,
        WireType::ANY => RecordType::Any,
        _ => return None,
    })
}

fn wire_type(t: RecordType) -> WireType {
    match t {
        RecordType::A => WireType::A,
        RecordType::Aaaa => WireType::AAAA,
        RecordType::Cname => WireType::CNAME,
        RecordType::Txt => WireType::TXT,
        RecordType::Mx => WireType::MX,
        RecordType::Srv => WireType::SRV,
        RecordType::Ns => WireType::NS,
        RecordType::Ptr => WireType::PTR,
        RecordType::Caa => WireType::CAA,
        RecordType::Soa => WireType::SOA,
        RecordType::Any => WireType::ANY,
    }
}

/// True for a label vpcsim writes as is, with nothing to escape or to convert to punycode.
fn plain_label(label: &[u8]) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'*'))
}

/// A model name (lowercase, no final dot) in wire form. Plain names (every label letters, digits,
/// `-`, `_` or `*`, as the model writes them) are built label by label; anything else goes through
/// hickory's text parser, with the same result.
fn wire_name(name: &str) -> Option<Name> {
    let trimmed = name.trim_end_matches('.');
    if !trimmed.is_empty() && trimmed.split('.').all(|l| plain_label(l.as_bytes())) {
        let mut out = Name::root();
        for label in trimmed.split('.') {
            out = out.append_label(label.as_bytes()).ok()?;
        }
        return Some(out);
    }
    let fqdn = format!("{trimmed}.");
    Name::from_ascii(&fqdn)
        .or_else(|_| Name::from_utf8(&fqdn))
        .ok()
}

/// The query name as text for the model (`Name`'s `Display`, without its cost for plain names,
/// which are lowercased as the model does).
fn query_text(name: &Name) -> String {
    if name.iter().all(plain_label) {
        let mut out = String::with_capacity(name.len() + 1);
        for label in name.iter() {
            for &b in label {
                out.push(char::from(b.to_ascii_lowercase()));
            }
            out.push('.');
        }
        if out.is_empty() {
            out.push('.');
        }
        out
    } else {
        name.to_string()
    }
}

/// The length of `name` on the wire, uncompressed.
fn wire_len(name: &Name) -> usize {
    name.iter().map(|l| l.len() + 1).sum::<usize>() + 1
}

/// Converts the model's answers to wire records (a value that does not convert is logged and left
/// out; the model only produces well-formed data, so this does not happen in practice).
pub fn records(answers: &[vpcsim_dns::RrSet]) -> Vec<Record> {
    let mut out = Vec::with_capacity(answers.iter().map(|s| s.data.len()).sum());
    for set in answers {
        let Some(owner) = wire_name(&set.name) else {
            CONVERSION.warn(format_args!(
                "owner name {} does not convert to wire form",
                set.name
            ));
            continue;
        };
        for d in &set.data {
            let rdata = match d {
                vpcsim_dns::RData::A(ip) => Some(RData::A(A(*ip))),
                vpcsim_dns::RData::Aaaa(ip) => Some(RData::AAAA(AAAA(*ip))),
                vpcsim_dns::RData::Cname(n) => wire_name(n).map(|n| RData::CNAME(CNAME(n))),
                vpcsim_dns::RData::Other(text) => {
                    RData::try_from_str(wire_type(set.rtype), text).ok()
                }
            };
            match rdata {
                Some(r) => out.push(Record::from_rdata(owner.clone(), set.ttl, r)),
                None => CONVERSION.warn(format_args!(
                    "record data does not convert to wire form: {} {} {d}",
                    set.name, set.rtype
                )),
            }
        }
    }
    out
}

fn rcode(r: Rcode) -> ResponseCode {
    match r {
        Rcode::NoError => ResponseCode::NoError,
        Rcode::NxDomain => ResponseCode::NXDomain,
        Rcode::ServFail => ResponseCode::ServFail,
        Rcode::Refused => ResponseCode::Refused,
    }
}

impl ViewHandler {
    fn view(&self, snap: &Snapshot) -> Option<View> {
        snap.view(&self.label)
    }

    /// Computes the response to a decoded request.
    pub(crate) fn answer(&self, request: &Request) -> Outcome {
        self.answer_with(request, None)
    }

    /// Computes the response to a decoded request, taking and keeping the answer in `cache` when
    /// there is one.
    pub(crate) fn answer_with(
        &self,
        request: &Request,
        cache: Option<&mut AnswerCache>,
    ) -> Outcome {
        let mut metadata = Metadata::response_from_request(&request.metadata);
        // Every view but public DNS is a recursive resolver.
        metadata.recursion_available = &*self.label != "public";
        let mut out = Outcome {
            metadata,
            answers: Arc::from([]),
            authority: Arc::from([]),
            edns: None,
            cacheable: false,
            rotation: None,
        };
        // EDNS (RFC 6891): answer with an OPT when asked with one; a payload below 512 counts as 512.
        let mut limit = 512usize;
        if let Some(req) = &request.edns {
            let payload = req.max_payload().clamp(512, MAX_UDP_PAYLOAD);
            limit = usize::from(payload);
            let mut edns = Edns::new();
            edns.set_max_payload(payload);
            edns.set_version(0);
            out.edns = Some(edns);
            if req.version() > 0 {
                out.metadata.response_code = ResponseCode::BADVERS;
                return out;
            }
        }
        if request.metadata.op_code != OpCode::Query {
            out.metadata.response_code = ResponseCode::NotImp;
            return out;
        }
        let queries = request.queries.queries();
        let [query] = queries else {
            out.metadata.response_code = ResponseCode::FormErr;
            return out;
        };
        let qname = query_text(query.original().name());
        let wtype = query.query_type();
        if query.query_class() != DNSClass::IN || matches!(wtype, WireType::AXFR | WireType::IXFR) {
            out.metadata.response_code = ResponseCode::Refused;
            return out;
        }
        let snap = self.shared.current();
        let Some(view) = self.view(&snap) else {
            NO_VIEW.warn(format_args!(
                "view {}: the reloaded topology has no such view; answering SERVFAIL",
                self.label
            ));
            out.metadata.response_code = ResponseCode::ServFail;
            return out;
        };
        let key = (qname, u16::from(wtype));
        let mut cache = cache;
        if let Some(c) = cache.as_deref_mut()
            && c.generation != snap.generation
        {
            c.entries.clear();
            c.wire.clear();
            c.rotating.clear();
            c.generation = snap.generation;
        }
        let (model_rcode, authoritative, answers, authority) =
            match cache.as_ref().and_then(|c| c.entries.get(&key)) {
                Some(hit) => {
                    out.cacheable = true;
                    (
                        hit.rcode,
                        hit.authoritative,
                        hit.answers.clone(),
                        hit.authority.clone(),
                    )
                }
                None => {
                    let Answered {
                        rcode: model_rcode,
                        authoritative,
                        answers,
                        authority,
                        rotated,
                        mut rotations,
                    } = self.resolve(&snap, view, &key.0, wtype);
                    out.cacheable = !rotated;
                    if rotated && rotations.len() == 1 {
                        out.rotation = rotations.pop();
                    }
                    if let Some(c) = cache
                        && !rotated
                    {
                        if c.entries.len() >= CACHE_ENTRIES {
                            c.entries.clear();
                        }
                        c.entries.insert(
                            key.clone(),
                            Cached {
                                rcode: model_rcode,
                                authoritative,
                                answers: answers.clone(),
                                authority: authority.clone(),
                            },
                        );
                    }
                    (model_rcode, authoritative, answers, authority)
                }
            };
        let qname = key.0;
        out.metadata.response_code = rcode(model_rcode);
        out.metadata.authoritative = authoritative;
        out.answers = answers;
        out.authority = authority;
        // Truncation (RFC 1035 4.2.1, RFC 6891 7): over UDP, an answer larger than the client's
        // buffer goes out empty with TC set, and the client asks again over TCP.
        if request.protocol() == Protocol::Udp && !fits(request, &out, limit) {
            out.answers = Arc::from([]);
            out.authority = Arc::from([]);
            out.metadata.truncation = true;
        }
        debug!(
            view = %self.label,
            src = %request.src(),
            proto = %request.protocol(),
            name = %qname,
            qtype = %wtype,
            rcode = %model_rcode.as_str(),
            answers = out.answers.len(),
            aa = out.metadata.authoritative,
            tc = out.metadata.truncation,
            "dns query"
        );
        out
    }
}

impl ViewHandler {
    /// Asks the model, advancing the listener's rotation (see [`Answered`]).
    fn resolve(&self, snap: &Snapshot, view: View, qname: &str, wtype: WireType) -> Answered {
        // A type the model does not hold: resolve as TXT (which no generated name has) to get the
        // right code and any CNAME chain, then answer NODATA at the end of the chain.
        let (qtype, known) = match model_type(wtype) {
            Some(t) => (t, true),
            None => (RecordType::Txt, false),
        };
        let res = {
            let mut rotation = self.rotation.lock().unwrap_or_else(|e| e.into_inner());
            // The answer without the explanation steps, which a DNS reply does not carry.
            // Forwarded queries travel the paths of the served topology with every link up,
            // exactly as `vpcsim resolve` and `POST /resolve` ask.
            snap.engine()
                .resolve_quiet(snap.base_network(), view, qname, qtype, &mut rotation)
        };
        let rotated = res.answers.iter().any(|s| s.rotate);
        let answers: Vec<vpcsim_dns::RrSet> = if known {
            res.answers
        } else {
            res.answers
                .into_iter()
                .filter(|s| s.rtype == RecordType::Cname)
                .collect()
        };
        Answered {
            rcode: res.rcode,
            authoritative: res.authoritative,
            answers: Arc::from(records(&answers)),
            authority: Arc::from(records(&res.authority)),
            rotated,
            rotations: res.rotations,
        }
    }
}

/// The model's answer to one query, in wire records.
struct Answered {
    rcode: Rcode,
    authoritative: bool,
    answers: Arc<[Record]>,
    authority: Arc<[Record]>,
    /// A record set of the answer rotates (the answer is not the same every time).
    rotated: bool,
    /// The rotations the answer took.
    rotations: Vec<vpcsim_dns::Rotated>,
}

/// True when the full response takes at most `limit` bytes on the wire. Most answers are a few
/// addresses: their uncompressed size, an upper bound, settles it without encoding anything.
fn fits(request: &Request, out: &Outcome, limit: usize) -> bool {
    let mut bound = 12 + usize::from(out.edns.is_some()) * 11;
    for q in request.queries.queries() {
        bound += wire_len(q.original().name()) + 4;
    }
    // Answers, then a negative answer's SOA.
    for r in out.answers.iter().chain(out.authority.iter()) {
        let rdata = match &r.data {
            RData::A(_) => 4,
            RData::AAAA(_) => 16,
            RData::CNAME(c) => wire_len(&c.0),
            // Two names and five 32-bit fields.
            RData::SOA(soa) => wire_len(&soa.mname) + wire_len(&soa.rname) + 20,
            // Other types: no bound here, encode.
            _ => return encoded_len(request, out) <= limit,
        };
        bound += wire_len(&r.name) + 10 + rdata;
    }
    bound <= limit || encoded_len(request, out) <= limit
}

/// The size of the full response on the wire.
fn encoded_len(request: &Request, out: &Outcome) -> usize {
    let mut msg = Message::new(
        out.metadata.id,
        out.metadata.message_type,
        out.metadata.op_code,
    );
    msg.metadata = out.metadata;
    for q in request.queries.queries() {
        msg.add_query(q.original().clone());
    }
    msg.add_answers(out.answers.iter().cloned());
    msg.add_authorities(out.authority.iter().cloned());
    if let Some(e) = &out.edns {
        msg.set_edns(e.clone());
    }
    msg.to_vec().map_or(usize::MAX, |v| v.len())
}

#[async_trait::async_trait]
impl RequestHandler for ViewHandler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let out = self.answer(request);
        let builder = MessageResponseBuilder::new(&request.queries, out.edns.as_ref());
        let message = builder.build(
            out.metadata,
            out.answers.iter(),
            [],
            out.authority.iter(),
            [],
        );
        match response_handle.send_response(message).await {
            Ok(info) => info,
            Err(error) => {
                SENDING.warn(format_args!(
                    "view {}: could not send a DNS response: {error}",
                    self.label
                ));
                let mut metadata = out.metadata;
                metadata.response_code = ResponseCode::ServFail;
                ResponseInfo::from(Header {
                    metadata,
                    counts: HeaderCounts::default(),
                })
            }
        }
    }
}

/// True when an answer may be sent to `src` (not port 0, not an unspecified or broadcast address).
pub(crate) fn answerable(src: SocketAddr) -> bool {
    src.port() != 0
        && match src.ip() {
            IpAddr::V4(ip) => !ip.is_unspecified() && !ip.is_broadcast(),
            IpAddr::V6(ip) => !ip.is_unspecified(),
        }
}

/// Writes the answer to one DNS message from `src`, received over `protocol`, into `out`; false
/// when it gets none. Decoding and encoding are hickory-server's, with its rules for what gets an
/// answer: a message shorter than a header or from port 0 gets none, one whose header decodes but
/// the rest does not gets FORMERR, a response is ignored, an answer that cannot be encoded becomes
/// SERVFAIL. Over UDP the answer fits the client's payload size (512 bytes without EDNS), over TCP
/// 65,535 bytes. `cache`, when given, keeps the answers (see [`AnswerCache`]).
pub(crate) fn respond(
    handler: &ViewHandler,
    message: &[u8],
    src: SocketAddr,
    protocol: Protocol,
    out: &mut Vec<u8>,
    mut cache: Option<&mut AnswerCache>,
) -> bool {
    if !answerable(src) {
        debug!(%src, "message from an address that cannot be answered");
        return false;
    }
    if let Some(hit) = cache
        .as_deref()
        .and_then(|c| c.wire_hit(handler.shared.generation(), message))
    {
        out.clear();
        out.extend_from_slice(hit);
        out[..2].copy_from_slice(&message[..2]);
        return true;
    }
    // A rotated answer whose every response is known: the listener's counter advances as the
    // model would advance it, and picks the response.
    if let Some(rotating) = cache
        .as_deref()
        .and_then(|c| c.rotating_hit(handler.shared.generation(), message))
    {
        let snap = handler.shared.current();
        if snap.generation == cache.as_deref().map_or(0, |c| c.generation) {
            let offset = {
                let mut rotation = handler.rotation.lock().unwrap_or_else(|e| e.into_inner());
                snap.dns().advance(
                    &mut rotation,
                    rotating.view,
                    &rotating.name,
                    rotating.records,
                )
            };
            if let Some(Some(response)) = rotating.responses.get(offset as usize) {
                out.clear();
                out.extend_from_slice(response);
                out[..2].copy_from_slice(&message[..2]);
                return true;
            }
        }
    }
    let Ok(header) = Header::read(&mut BinDecoder::new(message)) else {
        // Shorter than a header: not DNS.
        return false;
    };
    let request = match Request::from_bytes(message.to_vec(), src, protocol) {
        Ok(request) => request,
        Err(error) => {
            debug!(view = handler.label(), %src, %error, "undecodable query: FORMERR");
            let Ok(none) = Queries::read(&mut BinDecoder::new(&[]), 0) else {
                return false;
            };
            let message = MessageResponseBuilder::new(&none, None)
                .error_msg(&header.metadata, ResponseCode::FormErr);
            encode(message, 512, out);
            return true;
        }
    };
    if request.metadata.message_type == MessageType::Response {
        return false;
    }
    let outcome = handler.answer_with(&request, cache.as_deref_mut());
    let max = match protocol {
        Protocol::Udp => outcome.edns.as_ref().map_or(512, |e| e.max_payload()),
        _ => u16::MAX,
    };
    let response = MessageResponseBuilder::new(&request.queries, outcome.edns.as_ref()).build(
        outcome.metadata,
        outcome.answers.iter(),
        [],
        outcome.authority.iter(),
        [],
    );
    if encode(response, max, out)
        && let Some(c) = cache
    {
        if outcome.cacheable {
            c.wire_keep(message, out);
        } else if let Some(rotated) = outcome.rotation {
            c.rotating_keep(message, rotated, out);
        }
    }
    true
}

/// Encodes `message` into `out` within `max` bytes; SERVFAIL if it cannot be encoded (then false).
fn encode<'a, A, N, S, D>(
    message: MessageResponse<'_, 'a, A, N, S, D>,
    max: u16,
    out: &mut Vec<u8>,
) -> bool
where
    A: Iterator<Item = &'a Record> + Send + 'a,
    N: Iterator<Item = &'a Record> + Send + 'a,
    S: Iterator<Item = &'a Record> + Send + 'a,
    D: Iterator<Item = &'a Record> + Send + 'a,
{
    let id = message.metadata().id;
    out.clear();
    let mut encoder = BinEncoder::new(out);
    encoder.set_max_size(max);
    if let Err(err) = message.destructive_emit(&mut encoder) {
        ENCODING.warn(format_args!(
            "error encoding a DNS response ({err}): SERVFAIL"
        ));
        out.clear();
        let mut metadata = Metadata::new(id, MessageType::Response, OpCode::Query);
        metadata.response_code = ResponseCode::ServFail;
        let header = Header {
            metadata,
            counts: Default::default(),
        };
        let mut encoder = BinEncoder::new(out);
        let _ = header.emit(&mut encoder);
        return false;
    }
    true
}
