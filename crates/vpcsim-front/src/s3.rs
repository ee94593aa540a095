//! S3's REST operations over the topology's buckets, objects kept in memory.
//!
//! Buckets are the topology's (a reload that adds a bucket adds it here); objects live as long as
//! the front, within a byte budget (`Config::max_stored_bytes`). Which caller may do what was
//! decided before an operation runs (see [`crate::decide`]); this module only keeps the data, and
//! answers as S3 does: the same XML, status codes and error codes (`NoSuchKey`, `NoSuchUpload`,
//! `InvalidPart`…). Operations not listed here answer S3's `NotImplemented`.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::SystemTime;

use bytes::{Bytes, BytesMut};
use s3s::crypto::{Checksum, Md5};
use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};
use vpcsim_server::Shared;

/// One stored object.
#[derive(Clone, Debug)]
struct Stored {
    data: Bytes,
    etag: String,
    modified: SystemTime,
    content_type: Option<String>,
    metadata: Option<Metadata>,
}

#[derive(Debug)]
struct Upload {
    key: String,
    parts: BTreeMap<i32, Stored>,
    content_type: Option<String>,
    metadata: Option<Metadata>,
}

#[derive(Debug, Default)]
struct BucketData {
    objects: BTreeMap<String, Stored>,
    uploads: HashMap<String, Upload>,
}

#[derive(Debug, Default)]
struct State {
    buckets: HashMap<String, BucketData>,
    used: u64,
    next_upload: u64,
}

/// The objects of every bucket.
#[derive(Debug)]
pub struct Objects {
    state: Mutex<State>,
    budget: u64,
    /// Where objects persist (`DATA/objects/BUCKET/`), when they do.
    dir: Option<PathBuf>,
}

/// What is kept beside an object's bytes on disk.
#[derive(serde::Serialize, serde::Deserialize)]
struct Meta {
    key: String,
    etag: String,
    modified_ms: u64,
    content_type: Option<String>,
    metadata: Option<std::collections::BTreeMap<String, String>>,
}

fn file_name(key: &str) -> String {
    let mut h = s3s::crypto::Sha256::new();
    h.update(key.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl Objects {
    /// An empty store that holds at most `budget` bytes (objects and parts being uploaded).
    pub fn new(budget: u64) -> Objects {
        Objects {
            state: Mutex::new(State::default()),
            budget,
            dir: None,
        }
    }

    /// A store whose objects persist in `dir` (one folder per bucket, each object as its bytes
    /// and a JSON file of its key, ETag, time and metadata), loaded from there. Uploads in
    /// progress are not kept.
    pub fn persistent(budget: u64, dir: PathBuf) -> std::io::Result<Objects> {
        std::fs::create_dir_all(&dir)?;
        let mut st = State::default();
        for bucket in std::fs::read_dir(&dir)? {
            let bucket = bucket?;
            if !bucket.file_type()?.is_dir() {
                continue;
            }
            let name = bucket.file_name().to_string_lossy().into_owned();
            let mut data = BucketData::default();
            for f in std::fs::read_dir(bucket.path())? {
                let path = f?.path();
                if path.extension().is_none_or(|e| e != "json") {
                    continue;
                }
                let Ok(meta) = std::fs::read(&path)
                    .map_err(|_| ())
                    .and_then(|b| serde_json::from_slice::<Meta>(&b).map_err(|_| ()))
                else {
                    continue;
                };
                let Ok(bytes) = std::fs::read(path.with_extension("bin")) else {
                    continue;
                };
                st.used += bytes.len() as u64;
                data.objects.insert(
                    meta.key,
                    Stored {
                        data: Bytes::from(bytes),
                        etag: meta.etag,
                        modified: SystemTime::UNIX_EPOCH
                            + std::time::Duration::from_millis(meta.modified_ms),
                        content_type: meta.content_type,
                        metadata: meta.metadata.map(|m| m.into_iter().collect()),
                    },
                );
            }
            st.buckets.insert(name, data);
        }
        Ok(Objects {
            state: Mutex::new(st),
            budget,
            dir: Some(dir),
        })
    }

    /// Stores the topology's seed objects (`objects:` of a bucket) that are not there yet: an
    /// object a client wrote over a seed is kept.
    pub fn seed(&self, topo: &vpcsim_topology::Topology, now: SystemTime) {
        for b in &topo.buckets {
            for (key, text) in &b.objects {
                let present = self
                    .lock()
                    .buckets
                    .get(&b.name)
                    .is_some_and(|d| d.objects.contains_key(key));
                if present {
                    continue;
                }
                let data = Bytes::from(text.clone().into_bytes());
                let obj = Stored {
                    etag: md5_hex(&[&data]),
                    data,
                    modified: now,
                    content_type: None,
                    metadata: None,
                };
                self.persist(&b.name, key, Some(&obj));
                let mut st = self.lock();
                st.used += obj.data.len() as u64;
                st.buckets
                    .entry(b.name.clone())
                    .or_default()
                    .objects
                    .insert(key.clone(), obj);
            }
        }
    }

    /// Writes (or, `None`, removes) one object's files.
    fn persist(&self, bucket: &str, key: &str, obj: Option<&Stored>) {
        let Some(dir) = &self.dir else { return };
        let folder = dir.join(bucket);
        let base = folder.join(file_name(key));
        let r = match obj {
            None => std::fs::remove_file(base.with_extension("bin"))
                .and_then(|()| std::fs::remove_file(base.with_extension("json"))),
            Some(o) => {
                let meta = Meta {
                    key: key.to_string(),
                    etag: o.etag.clone(),
                    modified_ms: o
                        .modified
                        .duration_since(SystemTime::UNIX_EPOCH)
                        .map_or(0, |d| d.as_millis() as u64),
                    content_type: o.content_type.clone(),
                    metadata: o
                        .metadata
                        .as_ref()
                        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
                };
                std::fs::create_dir_all(&folder)
                    .and_then(|()| std::fs::write(base.with_extension("bin"), &o.data))
                    .and_then(|()| {
                        std::fs::write(
                            base.with_extension("json"),
                            serde_json::to_vec(&meta).unwrap_or_default(),
                        )
                    })
            }
        };
        if let Err(e) = r
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(error = %e, folder = %folder.display(), "front: cannot persist an object");
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The S3 service of the front.
#[derive(Debug)]
pub struct Service {
    /// The topology being served.
    pub shared: Shared,
    /// The objects.
    pub objects: std::sync::Arc<Objects>,
    /// When the front started: the buckets' creation date.
    pub started: SystemTime,
}

fn md5_hex(parts: &[&[u8]]) -> String {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads a request body, refusing one longer than `cap` bytes.
async fn collect(blob: Option<StreamingBlob>, cap: u64) -> S3Result<Bytes> {
    use futures_core::Stream;
    let Some(mut blob) = blob else {
        return Ok(Bytes::new());
    };
    let mut buf = BytesMut::new();
    while let Some(chunk) = std::future::poll_fn(|cx| Pin::new(&mut blob).poll_next(cx)).await {
        let chunk =
            chunk.map_err(|e| s3_error!(IncompleteBody, "the body could not be read: {e}"))?;
        if (buf.len() + chunk.len()) as u64 > cap {
            return Err(s3_error!(
                EntityTooLarge,
                "the front keeps objects in memory and has room for {cap} more bytes (see --max-stored)"
            ));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// S3's `encoding-type=url`: keys percent-encoded except for unreserved characters and `/`.
fn url_encode(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

impl Service {
    /// The topology's bucket of that name: its Region and owner account id.
    fn bucket(&self, name: &str) -> S3Result<(String, String)> {
        let snap = self.shared.current();
        let topo = snap.topology();
        let b = topo
            .buckets
            .iter()
            .find(|b| b.name == name)
            .ok_or_else(|| s3_error!(NoSuchBucket, "The specified bucket does not exist"))?;
        let region = topo
            .regions
            .get(b.region.index())
            .map_or_else(String::new, |r| r.name.clone());
        let account = topo
            .accounts
            .get(b.account.index())
            .map_or_else(String::new, |a| a.id.clone());
        Ok((region, account))
    }

    fn room(&self, st: &State) -> u64 {
        self.objects.budget.saturating_sub(st.used)
    }

    fn store(&self, bucket: &str, key: &str, obj: Stored) {
        self.objects.persist(bucket, key, Some(&obj));
        let mut st = self.objects.lock();
        let len = obj.data.len() as u64;
        let old = st
            .buckets
            .entry(bucket.to_string())
            .or_default()
            .objects
            .insert(key.to_string(), obj);
        st.used = st.used + len - old.map_or(0, |o| o.data.len() as u64);
    }

    fn get(&self, bucket: &str, key: &str) -> S3Result<Stored> {
        self.bucket(bucket)?;
        self.objects
            .lock()
            .buckets
            .get(bucket)
            .and_then(|b| b.objects.get(key))
            .cloned()
            .ok_or_else(|| s3_error!(NoSuchKey, "The specified key does not exist."))
    }
}

fn timestamp(t: SystemTime) -> Timestamp {
    Timestamp::from(t)
}

#[async_trait::async_trait]
impl S3 for Service {
    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let snap = self.shared.current();
        let topo = snap.topology();
        // S3 lists the buckets of the caller's account.
        let account = req
            .extensions
            .get::<crate::decide::Decided>()
            .and_then(|d| d.account.clone());
        let buckets: Vec<Bucket> = topo
            .buckets
            .iter()
            .filter(|b| b.outpost.is_none())
            .filter(|b| {
                account.as_deref().is_none_or(|a| {
                    topo.accounts
                        .get(b.account.index())
                        .is_some_and(|x| x.id == a)
                })
            })
            .map(|b| Bucket {
                name: Some(b.name.clone()),
                creation_date: Some(timestamp(self.started)),
                bucket_region: topo.regions.get(b.region.index()).map(|r| r.name.clone()),
            })
            .collect();
        Ok(S3Response::new(ListBucketsOutput {
            buckets: Some(buckets),
            owner: account.map(|a| Owner {
                display_name: None,
                id: Some(a),
            }),
            ..Default::default()
        }))
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        let (region, _) = self.bucket(&req.input.bucket)?;
        Ok(S3Response::new(HeadBucketOutput {
            bucket_region: Some(region),
            ..Default::default()
        }))
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        let (region, _) = self.bucket(&req.input.bucket)?;
        // us-east-1 is written as no constraint.
        Ok(S3Response::new(GetBucketLocationOutput {
            location_constraint: (region != "us-east-1")
                .then(|| BucketLocationConstraint::from(region)),
        }))
    }

    async fn get_bucket_policy(
        &self,
        req: S3Request<GetBucketPolicyInput>,
    ) -> S3Result<S3Response<GetBucketPolicyOutput>> {
        // Only the owner's account gets here: the engine refuses any other
        // (`s3.bucket-policy-not-owner`, 405), whatever the policies allow.
        let snap = self.shared.current();
        let b = snap
            .topology()
            .buckets
            .iter()
            .find(|b| b.name == req.input.bucket)
            .ok_or_else(|| s3_error!(NoSuchBucket, "The specified bucket does not exist"))?;
        let policy = b
            .policy
            .as_ref()
            .ok_or_else(|| s3_error!(NoSuchBucketPolicy, "The bucket policy does not exist"))?;
        Ok(S3Response::new(GetBucketPolicyOutput {
            policy: Some(vpcsim_report::json::policy(policy).to_string()),
        }))
    }

    async fn put_bucket_policy(
        &self,
        req: S3Request<PutBucketPolicyInput>,
    ) -> S3Result<S3Response<PutBucketPolicyOutput>> {
        let input = req.input;
        self.bucket(&input.bucket)?;
        let policy = parse_policy(&input.policy)?;
        self.shared
            .replace_bucket_policy(&input.bucket, Some(policy))
            .ok_or_else(|| s3_error!(NoSuchBucket, "The specified bucket does not exist"))?;
        tracing::info!(bucket = %input.bucket, "front: bucket policy replaced by PutBucketPolicy (the topology file is unchanged)");
        Ok(S3Response::new(PutBucketPolicyOutput::default()))
    }

    async fn delete_bucket_policy(
        &self,
        req: S3Request<DeleteBucketPolicyInput>,
    ) -> S3Result<S3Response<DeleteBucketPolicyOutput>> {
        let input = req.input;
        self.bucket(&input.bucket)?;
        self.shared
            .replace_bucket_policy(&input.bucket, None)
            .ok_or_else(|| s3_error!(NoSuchBucket, "The specified bucket does not exist"))?;
        tracing::info!(bucket = %input.bucket, "front: bucket policy removed by DeleteBucketPolicy (the topology file is unchanged)");
        Ok(S3Response::new(DeleteBucketPolicyOutput::default()))
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = req.input;
        self.bucket(&input.bucket)?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let delimiter = input.delimiter.clone().filter(|d| !d.is_empty());
        let max_keys = input.max_keys.unwrap_or(1000).clamp(0, 1000);
        let after = match (&input.continuation_token, &input.start_after) {
            (Some(t), _) => Some(t.clone()),
            (None, Some(s)) => Some(s.clone()),
            _ => None,
        };
        let url = input
            .encoding_type
            .as_ref()
            .is_some_and(|e| e.as_str() == "url");
        let enc = |s: String| if url { url_encode(&s) } else { s };
        let st = self.objects.lock();
        let mut contents = Vec::new();
        let mut prefixes: Vec<String> = Vec::new();
        let mut truncated = false;
        let mut last = None;
        let empty = BTreeMap::new();
        let objects = st.buckets.get(&input.bucket).map_or(&empty, |b| &b.objects);
        let start = match &after {
            Some(a) => std::ops::Bound::Excluded(a.clone()),
            None => std::ops::Bound::Included(prefix.clone()),
        };
        for (key, obj) in objects.range((start, std::ops::Bound::Unbounded)) {
            if !key.starts_with(&prefix) {
                if key.as_str() > prefix.as_str() {
                    break;
                }
                continue;
            }
            let rolled = delimiter.as_ref().and_then(|d| {
                key[prefix.len()..]
                    .find(d.as_str())
                    .map(|i| key[..prefix.len() + i + d.len()].to_string())
            });
            if let Some(p) = &rolled
                && prefixes.last() == Some(p)
            {
                continue;
            }
            if (contents.len() + prefixes.len()) as i32 >= max_keys {
                truncated = true;
                break;
            }
            match rolled {
                Some(p) => {
                    // Resume after everything under this prefix.
                    last = Some(format!("{p}\u{10FFFF}"));
                    prefixes.push(p);
                }
                None => {
                    last = Some(key.clone());
                    contents.push(Object {
                        key: Some(enc(key.clone())),
                        size: Some(obj.data.len() as i64),
                        e_tag: Some(ETag::Strong(obj.etag.clone())),
                        last_modified: Some(timestamp(obj.modified)),
                        storage_class: Some(ObjectStorageClass::from_static(
                            ObjectStorageClass::STANDARD,
                        )),
                        ..Default::default()
                    });
                }
            }
        }
        let count = (contents.len() + prefixes.len()) as i32;
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: Some(enc(prefix)),
            delimiter: input.delimiter.map(enc),
            max_keys: Some(max_keys),
            key_count: Some(count),
            is_truncated: Some(truncated),
            contents: Some(contents),
            common_prefixes: (!prefixes.is_empty()).then(|| {
                prefixes
                    .into_iter()
                    .map(|p| CommonPrefix {
                        prefix: Some(enc(p)),
                    })
                    .collect()
            }),
            continuation_token: input.continuation_token,
            next_continuation_token: if truncated { last } else { None },
            start_after: input.start_after,
            encoding_type: input.encoding_type,
            ..Default::default()
        }))
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let input = req.input;
        let obj = self.get(&input.bucket, &input.key)?;
        let len = obj.data.len() as u64;
        let (data, range) = match &input.range {
            None => (obj.data.clone(), None),
            Some(r) => {
                let r = r.check(len)?;
                (
                    obj.data.slice(r.start as usize..r.end as usize),
                    Some(format!(
                        "bytes {}-{}/{len}",
                        r.start,
                        r.end.saturating_sub(1)
                    )),
                )
            }
        };
        Ok(S3Response::new(GetObjectOutput {
            content_length: Some(data.len() as i64),
            content_range: range,
            accept_ranges: Some("bytes".into()),
            body: Some(StreamingBlob::from(s3s::Body::from(data))),
            e_tag: Some(ETag::Strong(obj.etag)),
            last_modified: Some(timestamp(obj.modified)),
            content_type: obj.content_type,
            metadata: obj.metadata,
            ..Default::default()
        }))
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let input = req.input;
        let obj = self.get(&input.bucket, &input.key)?;
        Ok(S3Response::new(HeadObjectOutput {
            content_length: Some(obj.data.len() as i64),
            accept_ranges: Some("bytes".into()),
            e_tag: Some(ETag::Strong(obj.etag)),
            last_modified: Some(timestamp(obj.modified)),
            content_type: obj.content_type,
            metadata: obj.metadata,
            ..Default::default()
        }))
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let input = req.input;
        self.bucket(&input.bucket)?;
        let room = self.room(&self.objects.lock());
        let data = collect(input.body, room).await?;
        let etag = md5_hex(&[&data]);
        self.store(
            &input.bucket,
            &input.key,
            Stored {
                data,
                etag: etag.clone(),
                modified: SystemTime::now(),
                content_type: input.content_type,
                metadata: input.metadata,
            },
        );
        Ok(S3Response::new(PutObjectOutput {
            e_tag: Some(ETag::Strong(etag)),
            ..Default::default()
        }))
    }

    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let input = req.input;
        let CopySource::Bucket { bucket, key, .. } = &input.copy_source else {
            return Err(s3_error!(
                NotImplemented,
                "vpcsim copies from a bucket and key, not from an access point ARN"
            ));
        };
        self.bucket(&input.bucket)?;
        let mut obj = self.get(bucket, key)?;
        obj.modified = SystemTime::now();
        if input.metadata_directive.as_ref().map(|d| d.as_str()) == Some("REPLACE") {
            obj.metadata = input.metadata;
            obj.content_type = input.content_type;
        }
        if self.room(&self.objects.lock()) < obj.data.len() as u64 {
            return Err(s3_error!(
                EntityTooLarge,
                "the front has no room for the copy"
            ));
        }
        let (etag, modified) = (obj.etag.clone(), obj.modified);
        self.store(&input.bucket, &input.key, obj);
        Ok(S3Response::new(CopyObjectOutput {
            copy_object_result: Some(CopyObjectResult {
                e_tag: Some(ETag::Strong(etag)),
                last_modified: Some(timestamp(modified)),
                ..Default::default()
            }),
            ..Default::default()
        }))
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let input = req.input;
        self.bucket(&input.bucket)?;
        let mut st = self.objects.lock();
        let removed = st
            .buckets
            .get_mut(&input.bucket)
            .and_then(|b| b.objects.remove(&input.key));
        if let Some(o) = removed {
            st.used -= o.data.len() as u64;
            self.objects.persist(&input.bucket, &input.key, None);
        }
        // S3 answers 204 whether or not the key was there.
        Ok(S3Response::new(DeleteObjectOutput::default()))
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let denied = req
            .extensions
            .get::<crate::decide::Decided>()
            .map(|d| d.denied_keys.clone())
            .unwrap_or_default();
        let input = req.input;
        self.bucket(&input.bucket)?;
        let quiet = input.delete.quiet.unwrap_or(false);
        let mut deleted = Vec::new();
        let mut errors = Vec::new();
        let mut st = self.objects.lock();
        for id in input.delete.objects {
            if let Some(msg) = denied.get(&id.key) {
                errors.push(Error {
                    code: Some("AccessDenied".into()),
                    key: Some(id.key.clone()),
                    message: Some(msg.clone()),
                    version_id: None,
                });
                continue;
            }
            let removed = st
                .buckets
                .get_mut(&input.bucket)
                .and_then(|b| b.objects.remove(&id.key));
            if let Some(o) = removed {
                st.used -= o.data.len() as u64;
                self.objects.persist(&input.bucket, &id.key, None);
            }
            if !quiet {
                deleted.push(DeletedObject {
                    key: Some(id.key),
                    ..Default::default()
                });
            }
        }
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: Some(deleted),
            errors: (!errors.is_empty()).then_some(errors),
            ..Default::default()
        }))
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let input = req.input;
        self.bucket(&input.bucket)?;
        let mut st = self.objects.lock();
        st.next_upload += 1;
        // Deterministic: the n-th upload of this front.
        let id = format!("vpcsim-upload-{:016x}", st.next_upload);
        st.buckets
            .entry(input.bucket.clone())
            .or_default()
            .uploads
            .insert(
                id.clone(),
                Upload {
                    key: input.key.clone(),
                    parts: BTreeMap::new(),
                    content_type: input.content_type,
                    metadata: input.metadata,
                },
            );
        Ok(S3Response::new(CreateMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(id),
            ..Default::default()
        }))
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let input = req.input;
        self.bucket(&input.bucket)?;
        if !(1..=10_000).contains(&input.part_number) {
            return Err(s3_error!(
                InvalidArgument,
                "Part number must be an integer between 1 and 10000, inclusive"
            ));
        }
        let room = {
            let st = self.objects.lock();
            let known = st
                .buckets
                .get(&input.bucket)
                .and_then(|b| b.uploads.get(&input.upload_id))
                .is_some_and(|u| u.key == input.key);
            if !known {
                return Err(no_such_upload());
            }
            self.room(&st)
        };
        let data = collect(input.body, room).await?;
        let etag = md5_hex(&[&data]);
        let mut st = self.objects.lock();
        let len = data.len() as u64;
        let upload = st
            .buckets
            .get_mut(&input.bucket)
            .and_then(|b| b.uploads.get_mut(&input.upload_id))
            .ok_or_else(no_such_upload)?;
        let old = upload.parts.insert(
            input.part_number,
            Stored {
                data,
                etag: etag.clone(),
                modified: SystemTime::now(),
                content_type: None,
                metadata: None,
            },
        );
        st.used = st.used + len - old.map_or(0, |o| o.data.len() as u64);
        Ok(S3Response::new(UploadPartOutput {
            e_tag: Some(ETag::Strong(etag)),
            ..Default::default()
        }))
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let input = req.input;
        self.bucket(&input.bucket)?;
        let st = self.objects.lock();
        let upload = st
            .buckets
            .get(&input.bucket)
            .and_then(|b| b.uploads.get(&input.upload_id))
            .ok_or_else(no_such_upload)?;
        let parts = upload
            .parts
            .iter()
            .map(|(n, p)| Part {
                part_number: Some(*n),
                size: Some(p.data.len() as i64),
                e_tag: Some(ETag::Strong(p.etag.clone())),
                last_modified: Some(timestamp(p.modified)),
                ..Default::default()
            })
            .collect();
        Ok(S3Response::new(ListPartsOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(input.upload_id),
            parts: Some(parts),
            is_truncated: Some(false),
            ..Default::default()
        }))
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let input = req.input;
        self.bucket(&input.bucket)?;
        let wanted: Vec<CompletedPart> = input
            .multipart_upload
            .and_then(|m| m.parts)
            .unwrap_or_default();
        let mut st = self.objects.lock();
        let bucket = st.buckets.entry(input.bucket.clone()).or_default();
        let upload = bucket
            .uploads
            .get(&input.upload_id)
            .filter(|u| u.key == input.key)
            .ok_or_else(no_such_upload)?;
        if wanted.is_empty() {
            return Err(s3_error!(
                MalformedXML,
                "You must specify at least one part"
            ));
        }
        let mut data = BytesMut::new();
        let mut digests = Vec::new();
        let mut previous = 0;
        for (i, p) in wanted.iter().enumerate() {
            let n = p.part_number.unwrap_or(0);
            if n <= previous {
                return Err(s3_error!(
                    InvalidPartOrder,
                    "The list of parts was not in ascending order."
                ));
            }
            previous = n;
            let part = upload.parts.get(&n).ok_or_else(invalid_part)?;
            let given = p
                .e_tag
                .as_ref()
                .map(|e| e.value().trim_matches('"').to_string());
            if given.is_some_and(|g| g != part.etag) {
                return Err(invalid_part());
            }
            // Every part but the last must be at least 5 MiB.
            if i + 1 < wanted.len() && part.data.len() < 5 * 1024 * 1024 {
                return Err(s3_error!(
                    EntityTooSmall,
                    "Your proposed upload is smaller than the minimum allowed object size."
                ));
            }
            data.extend_from_slice(&part.data);
            digests.extend(
                (0..part.etag.len() / 2)
                    .filter_map(|j| u8::from_str_radix(&part.etag[2 * j..2 * j + 2], 16).ok()),
            );
        }
        let etag = format!("{}-{}", md5_hex(&[&digests]), wanted.len());
        let upload = bucket
            .uploads
            .remove(&input.upload_id)
            .ok_or_else(no_such_upload)?;
        let parts_len: u64 = upload.parts.values().map(|p| p.data.len() as u64).sum();
        let obj = Stored {
            data: data.freeze(),
            etag: etag.clone(),
            modified: SystemTime::now(),
            content_type: upload.content_type,
            metadata: upload.metadata,
        };
        let len = obj.data.len() as u64;
        self.objects.persist(&input.bucket, &input.key, Some(&obj));
        let old = bucket.objects.insert(input.key.clone(), obj);
        st.used = st.used + len - parts_len - old.map_or(0, |o| o.data.len() as u64);
        Ok(S3Response::new(CompleteMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            e_tag: Some(ETag::Strong(etag)),
            ..Default::default()
        }))
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let input = req.input;
        self.bucket(&input.bucket)?;
        let mut st = self.objects.lock();
        let upload = st
            .buckets
            .get_mut(&input.bucket)
            .and_then(|b| b.uploads.remove(&input.upload_id))
            .ok_or_else(no_such_upload)?;
        let len: u64 = upload.parts.values().map(|p| p.data.len() as u64).sum();
        st.used -= len;
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }
}

/// A bucket policy sent by a client, checked as the topology's are (structure, `Principal`
/// required); S3's `MalformedPolicy` with the first problem otherwise.
fn parse_policy(text: &str) -> S3Result<vpcsim_policy::Policy> {
    let mut sources = vpcsim_syntax::SourceMap::default();
    let id = sources.add("PutBucketPolicy".to_string(), text.to_string());
    let file = sources
        .get(id)
        .cloned()
        .ok_or_else(|| s3_error!(InternalError))?;
    let diags = vpcsim_syntax::Diagnostics::new();
    let policy = vpcsim_policy::read(id, &file, vpcsim_policy::PolicyKind::Resource, &diags);
    let problems = diags.into_sorted();
    match (policy, problems.first()) {
        (Some(p), _) => Ok(p),
        (None, Some(d)) => Err(s3_error!(MalformedPolicy, "{}", d.message)),
        (None, None) => Err(s3_error!(MalformedPolicy, "the policy cannot be read")),
    }
}

fn no_such_upload() -> s3s::S3Error {
    s3_error!(
        NoSuchUpload,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
    )
}

fn invalid_part() -> s3s::S3Error {
    s3_error!(
        InvalidPart,
        "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_url_encoded_as_s3_does() {
        assert_eq!(url_encode("a b/c+d%e.csv"), "a%20b/c%2Bd%25e.csv");
    }
}
