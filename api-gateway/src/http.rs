//! The gateway's own extractors and replies: media-type negotiation (MidoNet v5 and the v1.9
//! types eucanetd sends, or plain JSON), bodies parsed into model types with MidoNet-shaped
//! errors, and the base URI that links in responses are built from.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};

/// Largest request body accepted; bigger ones get 413 before they are parsed.
pub const MAX_BODY: usize = 1024 * 1024;

/// The resource name inside a MidoNet media type:
/// `application/vnd.org.midonet.[collection.]<Name>-v<N>+json` -> `<Name>`.
fn media_name(media: &str) -> Option<&str> {
    let rest = media.trim().strip_prefix("application/vnd.org.midonet.")?;
    let rest = rest.strip_prefix("collection.").unwrap_or(rest);
    let (name, version) = rest.split_once("-v")?;
    version.strip_suffix("+json")?.parse::<u32>().ok()?;
    Some(name)
}

fn is_plain_json(media: &str) -> bool {
    let m = media.trim();
    m == "application/json" || m.starts_with("application/json;")
}

/// The request's `Accept` header, negotiated per resource by the handler.
pub struct Accept(Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Accept {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(Accept(
            parts
                .headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        ))
    }
}

impl Accept {
    /// The content type to answer with for a resource named `names[0]` (or its aliases), or
    /// 406 when the client accepts none of them. A vendor type the client sent is echoed back.
    pub fn negotiate(&self, names: &[&str], collection: bool) -> ApiResult<HeaderValue> {
        let default = || {
            let media =
                topology::media::by_name(names[0]).map(|m| if collection { m.many } else { m.one });
            HeaderValue::from_static(media.unwrap_or("application/json"))
        };
        let Some(accept) = &self.0 else {
            return Ok(default());
        };
        for candidate in accept.split(',') {
            let media = candidate.split(';').next().unwrap_or("").trim();
            if media == "*/*" || media == "application/*" || media.is_empty() {
                return Ok(default());
            }
            if is_plain_json(media) {
                return Ok(HeaderValue::from_static("application/json"));
            }
            if media_name(media).is_some_and(|n| names.contains(&n)) {
                if let Ok(v) = HeaderValue::from_str(media) {
                    return Ok(v);
                }
            }
        }
        Err(ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            format!("none of the accepted media types ({accept}) is served here; use application/json or a {} media type", names[0]),
        ))
    }
}

/// A request body, bounded by [`MAX_BODY`], with its content type.
pub struct Body {
    content_type: Option<String>,
    bytes: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            ApiError::new(
                e.status(),
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    format!("request body is larger than {MAX_BODY} bytes")
                } else {
                    format!("cannot read request body: {e}")
                },
            )
        })?;
        Ok(Body {
            content_type,
            bytes,
        })
    }
}

/// Removes `null` members, so an explicit null means the same as an absent field (Jackson's
/// behaviour that MidoNet's clients rely on when they send whole objects back).
fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, m| !m.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

impl Body {
    /// A body given as JSON inside another request (an operation of a batch): plain JSON, no
    /// content type to check.
    pub fn from_json(value: &RawValue) -> Body {
        Body {
            content_type: None,
            bytes: Bytes::copy_from_slice(value.get().as_bytes()),
        }
    }

    /// Checks the content type against `names` and parses the body straight into `T`, without
    /// the lenient conversions of [`Body::parse`]: for a batch, whose thousands of operation
    /// bodies each go to their own write (and its `parse`) as they were sent.
    pub fn parse_strict<T: DeserializeOwned>(&self, names: &[&str]) -> ApiResult<T> {
        self.check_media(names)?;
        let de = &mut serde_json::Deserializer::from_slice(&self.bytes);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_data() && path != "." {
                ApiError::violation(&path, inner.to_string())
            } else {
                ApiError::bad_request(format!("malformed JSON body: {inner}"))
            }
        })
    }

    /// Checks the content type against `names` and parses the body as `T`.
    pub fn parse<T: DeserializeOwned>(&self, names: &[&str]) -> ApiResult<T> {
        self.parse_with(names, |_| {})
    }

    /// Like [`Body::parse`], after `adjust` set what the URL decides (a port's type).
    pub fn parse_with<T: DeserializeOwned>(
        &self,
        names: &[&str],
        adjust: impl FnOnce(&mut Value),
    ) -> ApiResult<T> {
        let mut value = self.json(names)?;
        adjust(&mut value);
        typed(&mut value)
    }

    /// The body as a JSON object, its content type checked against `names` and its nulls
    /// removed, for callers that parse it as more than one type.
    pub fn json(&self, names: &[&str]) -> ApiResult<Value> {
        self.check_media(names)?;
        let mut value: Value = serde_json::from_slice(&self.bytes)
            .map_err(|e| ApiError::bad_request(format!("malformed JSON body: {e}")))?;
        if !value.is_object() {
            return Err(ApiError::bad_request("the body must be a JSON object"));
        }
        strip_nulls(&mut value);
        Ok(value)
    }

    /// Refuses a content type other than plain JSON or one of the media types `names`.
    fn check_media(&self, names: &[&str]) -> ApiResult<()> {
        if let Some(ct) = &self.content_type {
            let media = ct.split(';').next().unwrap_or("").trim();
            let ok = is_plain_json(media) || media_name(media).is_some_and(|n| names.contains(&n));
            if !ok {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!("content type {media} is not accepted here; send application/json or a {} media type", names[0]),
                ));
            }
        }
        Ok(())
    }
}

/// The member of `value` at a deserializer error's path.
fn member_at<'a>(value: &'a mut Value, path: &serde_path_to_error::Path) -> Option<&'a mut Value> {
    use serde_path_to_error::Segment;
    path.iter().try_fold(value, |v, seg| match seg {
        Segment::Map { key } => v.get_mut(key.as_str()),
        Segment::Seq { index } => v.get_mut(*index),
        _ => None,
    })
}

/// Parses `value` as `T`, naming the failing field. Like Jackson, which MidoNet's API runs on
/// and whose leniency MidoNet's CLI relies on, a number or boolean written as a string
/// (`"networkLength": "24"`) is accepted: such a member is converted where `T` wants it.
pub fn typed<T: DeserializeOwned>(value: &mut Value) -> ApiResult<T> {
    loop {
        let err = match serde_path_to_error::deserialize::<_, T>(&*value) {
            Ok(t) => return Ok(t),
            Err(e) => e,
        };
        let converted = member_at(value, err.path()).and_then(|member| {
            let text = member.as_str()?.trim();
            let number = text.parse::<i64>().ok().map(Value::from);
            let new = number.or(match text {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => None,
            })?;
            *member = new;
            Some(())
        });
        if converted.is_none() {
            let path = err.path().to_string();
            let inner = err.into_inner().to_string();
            // serde reports a missing field at its parent: name the field itself, as
            // MidoNet's `@NotNull` violations do.
            if let Some(field) = missing_field(&inner) {
                let property = if path == "." {
                    field.to_string()
                } else {
                    format!("{path}.{field}")
                };
                return Err(ApiError::violation(&property, "may not be null"));
            }
            return Err(if path == "." {
                ApiError::bad_request(format!("invalid body: {inner}"))
            } else {
                ApiError::violation(&path, inner)
            });
        }
    }
}

/// The field named by serde's "missing field `x`" message.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// The URI prefix links are built from: scheme, the `Host` the client used, and `/midonet-api`.
#[derive(Clone)]
pub struct Base(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Base {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(Base(base_from(&parts.headers)))
    }
}

pub fn base_from(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1:8181");
    format!("http://{host}{}", crate::API_ROOT)
}

impl Base {
    pub fn uri(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

/// A JSON answer serialized straight from `body`, with a negotiated media type.
pub fn reply(media: HeaderValue, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (StatusCode::OK, [(header::CONTENT_TYPE, media)], bytes).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialize a response");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error: cannot serialize the response",
            )
            .into_response()
        }
    }
}

/// 201 Created with the new resource's `Location`.
pub fn created(location: String) -> Response {
    match HeaderValue::from_str(&location) {
        Ok(loc) => (StatusCode::CREATED, [(header::LOCATION, loc)]).into_response(),
        Err(_) => StatusCode::CREATED.into_response(),
    }
}

pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_media_types_name_their_resource() {
        assert_eq!(
            media_name("application/vnd.org.midonet.Router-v3+json"),
            Some("Router")
        );
        assert_eq!(
            media_name("application/vnd.org.midonet.collection.Port-v2+json"),
            Some("Port")
        );
        assert_eq!(media_name("application/vnd.org.midonet.Router+json"), None);
        assert_eq!(media_name("text/html"), None);
    }

    #[test]
    fn negotiation_echoes_vendor_types_and_refuses_strangers() {
        let a = Accept(Some(
            "application/vnd.org.midonet.collection.Router-v2+json".into(),
        ));
        assert_eq!(
            a.negotiate(&["Router"], true).unwrap(),
            "application/vnd.org.midonet.collection.Router-v2+json"
        );
        let b = Accept(Some("text/html".into()));
        assert_eq!(
            b.negotiate(&["Router"], false).unwrap_err().status,
            StatusCode::NOT_ACCEPTABLE
        );
        let c = Accept(Some("application/vnd.org.midonet.Bridge-v3+json".into()));
        assert_eq!(
            c.negotiate(&["Router"], false).unwrap_err().status,
            StatusCode::NOT_ACCEPTABLE
        );
    }

    #[test]
    fn a_missing_required_field_is_a_violation_of_that_field() {
        let body = Body {
            content_type: None,
            bytes: Bytes::from_static(br#"{"dstNetworkAddr": "10.0.0.0", "dstNetworkLength": 8}"#),
        };
        let err = body.parse::<topology::Route>(&["Route"]).unwrap_err();
        assert_eq!(
            err.violations,
            vec![("type".to_string(), "may not be null".to_string())]
        );
    }

    #[test]
    fn bodies_name_the_bad_field() {
        let body = Body {
            content_type: Some("application/json".into()),
            bytes: Bytes::from_static(br#"{"type": "Router", "portAddress": "10.0.0.300"}"#),
        };
        let err = body.parse::<topology::Port>(&["Port"]).unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert_eq!(err.violations[0].0, "portAddress");
    }
}
