//! The bearer token the CLI's own calls carry (`--token`, `DUALNET_TOKEN`),
//! for systems with authentication on.

use tonic::{
    Request, Status,
    metadata::{Ascii, MetadataValue},
    service::{Interceptor, interceptor::InterceptedService},
    transport::Channel,
};

#[derive(Clone, Default)]
pub struct Bearer(Option<MetadataValue<Ascii>>);

/// A channel whose calls carry the bearer token.
pub type Authed = InterceptedService<Channel, Bearer>;

impl Bearer {
    pub fn new(token: Option<&str>) -> anyhow::Result<Self> {
        Ok(Self(match token {
            Some(t) => Some(format!("Bearer {}", t.trim()).parse()?),
            None => None,
        }))
    }

    /// Connects to `endpoint` (`http://host:port`) with this token.
    pub async fn connect(&self, endpoint: &str) -> anyhow::Result<Authed> {
        let channel = Channel::from_shared(endpoint.to_string())?.connect().await?;
        Ok(InterceptedService::new(channel, self.clone()))
    }
}

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request.metadata_mut().insert("authorization", value.clone());
        }
        Ok(request)
    }
}
