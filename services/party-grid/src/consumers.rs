//! party-grid's reactions: the governance map feeds the read model the
//! bindings are checked against; an incident gives the organisations bound to
//! its grid and building a linkage task; its closing closes them (and
//! implements the council topic whose resolution handed it out); an early
//! warning is proposed to the councils of its community as a topic.

use std::sync::Arc;

use async_trait::async_trait;
use dualnet_events::{
    Event, HandleError, Handler,
    consumer::{optional_uuid_field, uuid_field},
};
use dualnet_platform::clock::Clock;
use dualnet_proto::governance::v1 as gov;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    domain::{binding::UnitKind, task::TaskAction},
    store,
};

pub struct Reactions {
    pub clock: Arc<dyn Clock>,
}

impl Reactions {
    /// Gives the organisation bound to each unit (if any) a task for the
    /// incident — once, however often the event arrives.
    async fn task_bound(
        &self,
        conn: &mut PgConnection,
        event: &Event,
        incident_id: Uuid,
        units: &[(UnitKind, Option<Uuid>)],
    ) -> Result<(), HandleError> {
        let now = self.clock.now();
        for &(kind, unit) in units {
            let Some(unit) = unit else { continue };
            if let Some(org) = store::bound_to(conn, kind, unit).await? {
                store::create_task(conn, org, incident_id, &event.chain(), now).await?;
            }
        }
        Ok(())
    }

    async fn incident_opened(&self, conn: &mut PgConnection, event: &Event) -> Result<(), HandleError> {
        let e: gov::IncidentOpened = event.decode()?;
        let incident_id = uuid_field("incident_id", &e.incident_id)?;
        let units = [
            (UnitKind::Grid, optional_uuid_field("grid_id", &e.grid_id)?),
            (UnitKind::Building, optional_uuid_field("building_id", &e.building_id)?),
            // Labour risk at an enterprise tasks its party organisation too.
            (UnitKind::Enterprise, optional_uuid_field("enterprise_id", &e.enterprise_id)?),
        ];
        if let Some(topic) = optional_uuid_field("topic_id", &e.topic_id)?
            && !store::link_incident(conn, topic, incident_id).await?
        {
            tracing::debug!(%topic, %incident_id, "an incident for a topic without a pending hand-off");
        }
        self.task_bound(conn, event, incident_id, &units).await
    }

    /// 大事全网联动: when an incident goes up a tier, the organisations bound
    /// to the units of that tier and every tier below it are tasked — each
    /// once, however often the event arrives.
    async fn incident_escalated(&self, conn: &mut PgConnection, event: &Event) -> Result<(), HandleError> {
        let e: gov::IncidentEscalated = event.decode()?;
        let incident_id = uuid_field("incident_id", &e.incident_id)?;
        let to = gov::IncidentLevel::try_from(e.to_level)
            .map_err(|_| HandleError::Poison(format!("unknown level {}", e.to_level)))?;
        let mut units = vec![(UnitKind::Community, optional_uuid_field("community_id", &e.community_id)?)];
        if to == gov::IncidentLevel::Subdistrict {
            units.push((UnitKind::Subdistrict, optional_uuid_field("subdistrict_id", &e.subdistrict_id)?));
        }
        self.task_bound(conn, event, incident_id, &units).await
    }

    async fn incident_closed(&self, conn: &mut PgConnection, event: &Event) -> Result<(), HandleError> {
        let e: gov::IncidentClosed = event.decode()?;
        let incident_id = uuid_field("incident_id", &e.incident_id)?;
        let now = self.clock.now();
        for task in store::unfinished_tasks(conn, incident_id).await? {
            store::move_task(conn, task, TaskAction::Close, "governance-grid", "", Some(event.envelope.id), now)
                .await?;
        }
        store::topics_implemented_by(conn, incident_id, event.envelope.id, now).await?;
        Ok(())
    }

    /// A recurring problem (an early warning in a grid) proposed to the
    /// councils of the grid's community.
    async fn warning_raised(&self, conn: &mut PgConnection, event: &Event) -> Result<(), HandleError> {
        let e: gov::WarningRaised = event.decode()?;
        // Only a rule's warning is a recurring problem; an overdue
        // inspection or a missed patrol is the staff's own work.
        if e.kind != gov::WarningKind::Rule as i32 {
            return Ok(());
        }
        let warning_id = uuid_field("warning_id", &e.warning_id)?;
        let Some(grid_id) = optional_uuid_field("grid_id", &e.grid_id)? else { return Ok(()) };
        let rule = dualnet_platform::fields::clean(&e.rule_code, dualnet_platform::fields::NAME_MAX);
        let title = format!("recurring problem: {rule} ({} events)", e.count);
        store::propose_from_warning(conn, warning_id, grid_id, &title, &event.chain(), self.clock.now()).await?;
        Ok(())
    }
}

#[async_trait]
impl Handler for Reactions {
    async fn handle(&self, conn: &mut PgConnection, event: &Event) -> Result<(), HandleError> {
        if event.is::<gov::IncidentOpened>() {
            self.incident_opened(conn, event).await
        } else if event.is::<gov::WarningRaised>() {
            self.warning_raised(conn, event).await
        } else if event.is::<gov::IncidentEscalated>() {
            self.incident_escalated(conn, event).await
        } else if event.is::<gov::IncidentClosed>() {
            self.incident_closed(conn, event).await
        } else if event.is::<gov::EnterpriseCreated>() {
            let e: gov::EnterpriseCreated = event.decode()?;
            let (id, grid) =
                (uuid_field("enterprise_id", &e.enterprise_id)?, optional_uuid_field("grid_id", &e.grid_id)?);
            Ok(store::remember_unit(conn, UnitKind::Enterprise, id, grid, &e.name).await?)
        } else if event.is::<gov::BuildingRetired>() {
            let e: gov::BuildingRetired = event.decode()?;
            let id = uuid_field("building_id", &e.building_id)?;
            Ok(store::retire_unit(conn, UnitKind::Building, id, &e.reason, event.envelope.time).await?)
        } else if event.is::<gov::SubdistrictCreated>() {
            let e: gov::SubdistrictCreated = event.decode()?;
            let id = uuid_field("subdistrict_id", &e.subdistrict_id)?;
            Ok(store::remember_unit(conn, UnitKind::Subdistrict, id, None, &e.name).await?)
        } else if event.is::<gov::CommunityCreated>() {
            let e: gov::CommunityCreated = event.decode()?;
            let id = uuid_field("community_id", &e.community_id)?;
            let parent = optional_uuid_field("subdistrict_id", &e.subdistrict_id)?;
            Ok(store::remember_unit(conn, UnitKind::Community, id, parent, &e.name).await?)
        } else if event.is::<gov::GridCreated>() {
            let e: gov::GridCreated = event.decode()?;
            let (id, parent) =
                (uuid_field("grid_id", &e.grid_id)?, optional_uuid_field("community_id", &e.community_id)?);
            Ok(store::remember_unit(conn, UnitKind::Grid, id, parent, &e.name).await?)
        } else if event.is::<gov::BuildingCreated>() {
            let e: gov::BuildingCreated = event.decode()?;
            let (id, parent) =
                (uuid_field("building_id", &e.building_id)?, optional_uuid_field("grid_id", &e.grid_id)?);
            Ok(store::remember_unit(conn, UnitKind::Building, id, parent, &e.name).await?)
        } else {
            Ok(())
        }
    }
}
