//! A form body whose fields repeat, `id=…&id=…&expected_name=…&…`, as an HTML form with a row of
//! inputs per user sends it. The usual server-function form decoding refuses a key given twice,
//! so the bulk endpoints read their arguments with this encoding.

use http::Method;
use leptos::server_fn::codec::{Encoding, FromReq, IntoReq};
use leptos::server_fn::error::{FromServerFnError, IntoAppError, ServerFnErrorErr};
use leptos::server_fn::request::{ClientReq, Req};
use leptos::server_fn::ContentType;

pub struct RepeatedFields;

impl ContentType for RepeatedFields {
    const CONTENT_TYPE: &'static str = "application/x-www-form-urlencoded";
}

impl Encoding for RepeatedFields {
    const METHOD: Method = Method::POST;
}

/// Arguments that are read from, and written as, fields that may repeat, in order.
pub trait Fields: Sized {
    fn from_fields(fields: Vec<(String, String)>) -> Result<Self, String>;
    fn to_fields(&self) -> Vec<(String, String)>;
}

/// Encodes arguments for the browser side (the server functions are callable from both).
pub fn into_req<Request, E>(
    fields: Vec<(String, String)>,
    path: &str,
    accepts: &str,
) -> Result<Request, E>
where
    Request: ClientReq<E>,
    E: FromServerFnError,
{
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    Request::try_new_post(path, RepeatedFields::CONTENT_TYPE, accepts, body)
}

/// Decodes arguments on the server.
pub async fn from_req<T, Request, E>(request: Request) -> Result<T, E>
where
    T: Fields,
    Request: Req<E> + Send + 'static,
    E: FromServerFnError,
{
    let body = request.try_into_string().await?;
    let fields = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    T::from_fields(fields).map_err(|detail| ServerFnErrorErr::Args(detail).into_app_error())
}

/// Implements the encoding for a server function's argument struct that implements `Fields`.
macro_rules! repeated_fields {
    ($arguments:ty) => {
        impl<E, Request>
            leptos::server_fn::codec::IntoReq<$crate::api::codec::RepeatedFields, Request, E>
            for $arguments
        where
            Request: leptos::server_fn::request::ClientReq<E>,
            E: leptos::server_fn::error::FromServerFnError,
        {
            fn into_req(self, path: &str, accepts: &str) -> Result<Request, E> {
                use $crate::api::codec::Fields;
                $crate::api::codec::into_req(self.to_fields(), path, accepts)
            }
        }

        impl<E, Request>
            leptos::server_fn::codec::FromReq<$crate::api::codec::RepeatedFields, Request, E>
            for $arguments
        where
            Request: leptos::server_fn::request::Req<E> + Send + 'static,
            E: leptos::server_fn::error::FromServerFnError,
        {
            async fn from_req(request: Request) -> Result<Self, E> {
                $crate::api::codec::from_req(request).await
            }
        }
    };
}
pub(crate) use repeated_fields;

// `IntoReq`/`FromReq` are named through the macro's paths.
#[allow(unused_imports)]
use {FromReq as _, IntoReq as _};
