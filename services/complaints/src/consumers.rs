//! complaints' reactions: the map resolves buildings to grids; the incident
//! a complaint opened dispatches it, and its closing replies to it.

use std::sync::Arc;

use async_trait::async_trait;
use dualnet_events::{
    Event, HandleError, Handler,
    consumer::{optional_uuid_field, uuid_field},
};
use dualnet_platform::clock::Clock;
use dualnet_proto::governance::v1 as gov;
use sqlx::PgConnection;

use crate::store;

/// The reply a resident receives when the incident closes.
const CLOSED_REPLY: &str = "The incident raised from this request has been handled, verified and closed.";

pub struct Reactions {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl Handler for Reactions {
    async fn handle(&self, conn: &mut PgConnection, event: &Event) -> Result<(), HandleError> {
        let now = self.clock.now();
        if event.is::<gov::IncidentOpened>() {
            let e: gov::IncidentOpened = event.decode()?;
            if let Some(complaint) = optional_uuid_field("complaint_id", &e.complaint_id)? {
                let incident = uuid_field("incident_id", &e.incident_id)?;
                store::dispatched(conn, complaint, incident, &event.chain(), now).await?;
            }
        } else if event.is::<gov::IncidentClosed>() {
            let e: gov::IncidentClosed = event.decode()?;
            if let Some(complaint) = optional_uuid_field("complaint_id", &e.complaint_id)? {
                let incident = uuid_field("incident_id", &e.incident_id)?;
                store::replied(conn, complaint, incident, CLOSED_REPLY, &event.chain(), now).await?;
            }
        } else if event.is::<gov::GridCreated>() {
            let e: gov::GridCreated = event.decode()?;
            let grid = uuid_field("grid_id", &e.grid_id)?;
            store::remember_grid(conn, grid, uuid_field("community_id", &e.community_id)?).await?;
        } else if event.is::<gov::BuildingCreated>() {
            let e: gov::BuildingCreated = event.decode()?;
            let building = uuid_field("building_id", &e.building_id)?;
            let grid = uuid_field("grid_id", &e.grid_id)?;
            let location = e.latitude.zip(e.longitude);
            store::remember_building(conn, building, grid, &e.address, location).await?;
        }
        Ok(())
    }
}
