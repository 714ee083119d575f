//! Which object store a URL names, built the way object_store and the cloud SDKs build
//! it: credentials and endpoints from the environment (`AWS_*`, `GOOGLE_*`, `AZURE_*`),
//! plus this crate's request timeout and retry policy. Nothing here logs or prints a
//! credential; messages show a URL without its query string (where SAS tokens live).

use std::sync::Arc;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::http::HttpBuilder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ClientConfigKey, ObjectStore};
use url::Url;

use super::object::remote_error;
use super::RemoteOptions;
use crate::errors::Result;

/// `url` without its query string and fragment, for messages.
pub(crate) fn display_url(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or(url).to_string()
}

/// The store and the object's path in it for `url`: `s3://bucket/key`, `gs://bucket/key`,
/// `az://container/key` (or `abfs[s]://`, `azure://`, Azure `https://…blob.core…` URLs),
/// `https://host/path` and `http://host/path` (plain HTTP, range requests), and
/// `file:///absolute/path`.
///
/// S3, GCS and Azure read their credentials, region and endpoint from the environment as
/// their SDKs do (`AWS_ACCESS_KEY_ID`, `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`,
/// `GOOGLE_APPLICATION_CREDENTIALS`, `AZURE_STORAGE_ACCOUNT_NAME`, …).
pub fn store_for_url(url: &str, options: &RemoteOptions) -> Result<(Arc<dyn ObjectStore>, Path)> {
    let shown = display_url(url);
    let parsed = Url::parse(url).map_err(|e| {
        remote_error(
            &shown,
            format!("not a URL ({e}): give s3://, gs://, az://, https://, http:// or file://"),
        )
    })?;
    let timeout = format!("{}ms", options.timeout.as_millis());
    let scheme = parsed.scheme();
    let kind = match scheme {
        "s3" | "s3a" => Kind::S3,
        "gs" => Kind::Gcs,
        "az" | "adl" | "azure" | "abfs" | "abfss" => Kind::Azure,
        "https" if is_azure_host(&parsed) => Kind::Azure,
        "https" if is_s3_host(&parsed) => Kind::S3,
        "http" | "https" => Kind::Http,
        "file" => {
            return parsed
                .to_file_path()
                .ok()
                .and_then(|file| Path::from_absolute_path(file).ok())
                .map(|path| (Arc::new(LocalFileSystem::new()) as _, path))
                .ok_or_else(|| remote_error(&shown, "a file:// URL needs an absolute path"));
        }
        other => {
            return Err(remote_error(
                &shown,
                format!(
                    "the scheme {other}:// is not supported: give s3://, gs://, az://, \
                     https://, http:// or file://"
                ),
            ))
        }
    };
    let retry = options.retry.clone();
    let built: std::result::Result<Arc<dyn ObjectStore>, object_store::Error> = match kind {
        Kind::S3 => {
            let builder = AmazonS3Builder::from_env()
                .with_url(url)
                .with_config(
                    AmazonS3ConfigKey::Client(ClientConfigKey::Timeout),
                    &timeout,
                )
                .with_retry(retry);
            with_settings(builder, options, &shown, |b, k: AmazonS3ConfigKey, v| {
                b.with_config(k, v)
            })?
            .build()
            .map(|s| Arc::new(s) as _)
        }
        Kind::Gcs => {
            let builder = GoogleCloudStorageBuilder::from_env()
                .with_url(url)
                .with_config(GoogleConfigKey::Client(ClientConfigKey::Timeout), &timeout)
                .with_retry(retry);
            with_settings(builder, options, &shown, |b, k: GoogleConfigKey, v| {
                b.with_config(k, v)
            })?
            .build()
            .map(|s| Arc::new(s) as _)
        }
        Kind::Azure => {
            let builder = MicrosoftAzureBuilder::from_env()
                .with_url(url)
                .with_config(AzureConfigKey::Client(ClientConfigKey::Timeout), &timeout)
                .with_retry(retry);
            with_settings(builder, options, &shown, |b, k: AzureConfigKey, v| {
                b.with_config(k, v)
            })?
            .build()
            .map(|s| Arc::new(s) as _)
        }
        Kind::Http => {
            let builder = HttpBuilder::new()
                .with_url(&parsed[..url::Position::BeforePath])
                .with_config(ClientConfigKey::Timeout, &timeout)
                .with_config(ClientConfigKey::AllowHttp, "true")
                .with_retry(retry);
            with_settings(builder, options, &shown, |b, k: ClientConfigKey, v| {
                b.with_config(k, v)
            })?
            .build()
            .map(|s| Arc::new(s) as _)
        }
    };
    let store = built.map_err(|e| {
        remote_error(
            &shown,
            format!(
                "cannot set up the object store ({e}); credentials and endpoints come from the \
                 environment (AWS_*, GOOGLE_*, AZURE_*)"
            ),
        )
    })?;
    let path = object_path(&parsed, &shown)?;
    Ok((store, path))
}

/// `builder` with the options' store settings, each key parsed as the store's own key type
/// (an unknown key is an error naming it).
fn with_settings<B, K>(
    builder: B,
    options: &RemoteOptions,
    shown: &str,
    set: impl Fn(B, K, &str) -> B,
) -> Result<B>
where
    K: std::str::FromStr<Err = object_store::Error>,
{
    options
        .store_config
        .iter()
        .try_fold(builder, |builder, (key, value)| {
            let key_type = key
                .parse()
                .map_err(|e| remote_error(shown, format!("store setting {key:?}: {e}")))?;
            Ok(set(builder, key_type, value))
        })
}

/// The object's key: the URL path, minus the bucket or container for URLs that carry it
/// in the path (Azure and S3 path-style `https://` URLs).
fn object_path(url: &Url, shown: &str) -> Result<Path> {
    let mut segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|seg| !seg.is_empty()).collect())
        .unwrap_or_default();
    let bucket_in_path = match url.scheme() {
        "https" => is_azure_host(url) || (is_s3_host(url) && !is_virtual_hosted(url)),
        _ => false,
    };
    if bucket_in_path && !segments.is_empty() {
        segments.remove(0);
    }
    if segments.is_empty() {
        return Err(remote_error(
            shown,
            "the URL names no object (no path after the bucket)",
        ));
    }
    // object_store decodes the percent-encoding of each segment.
    Path::from_url_path(segments.join("/"))
        .map_err(|e| remote_error(shown, format!("not a valid object path: {e}")))
}

/// The kinds of store a URL can name.
enum Kind {
    S3,
    Gcs,
    Azure,
    Http,
}

fn host(url: &Url) -> &str {
    url.host_str().unwrap_or("")
}

fn is_azure_host(url: &Url) -> bool {
    let host = host(url);
    host.ends_with(".blob.core.windows.net") || host.ends_with(".dfs.core.windows.net")
}

fn is_s3_host(url: &Url) -> bool {
    let host = host(url);
    host.ends_with(".amazonaws.com") || host.ends_with(".r2.cloudflarestorage.com")
}

fn is_virtual_hosted(url: &Url) -> bool {
    let host = host(url);
    !(host.starts_with("s3.") || host.starts_with("s3-")) && host.ends_with(".amazonaws.com")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_object() {
        let options = RemoteOptions::default();
        for (url, key) in [
            ("s3://bucket/dir/checkpoint.npz", "dir/checkpoint.npz"),
            ("gs://bucket/a.npy", "a.npy"),
            ("https://example.com/data/a%20b.npz", "data/a b.npz"),
            ("http://127.0.0.1:9000/f.npy?sig=secret", "f.npy"),
            (
                "https://acct.blob.core.windows.net/container/k.npz",
                "k.npz",
            ),
            ("https://s3.us-east-1.amazonaws.com/bucket/k.npz", "k.npz"),
        ] {
            let (_, path) = store_for_url(url, &options).unwrap();
            assert_eq!(path.as_ref(), key, "{url}");
        }
        // Azure needs its account (from AZURE_STORAGE_ACCOUNT_NAME or a setting).
        let azure =
            RemoteOptions::default().with_store_config("azure_storage_account_name", "acct");
        let (_, path) = store_for_url("az://container/x/y.npz", &azure).unwrap();
        assert_eq!(path.as_ref(), "x/y.npz");
        let err = store_for_url("s3://bucket/k.npz", &azure)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("store setting \"azure_storage_account_name\""),
            "{err}"
        );
        let err = store_for_url("ftp://host/x.npz", &options)
            .unwrap_err()
            .to_string();
        assert!(err.contains("ftp:// is not supported"), "{err}");
        let err = store_for_url("s3://bucket", &options)
            .unwrap_err()
            .to_string();
        assert!(err.contains("names no object"), "{err}");
        assert_eq!(display_url("https://h/x.npz?sig=secret"), "https://h/x.npz");
    }
}
