//! Early-warning rules and the warnings raised.

use dualnet_platform::fields::id_text;
use dualnet_platform::{ApiError, Fields, fields::NAME_MAX, timestamp::to_proto};
use dualnet_proto::governance::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api, area};
use crate::{
    domain::warning::{Rule, Warning},
    store::{Place, WarningFilter},
    wire,
};

fn rule(r: Rule) -> pb::WarningRule {
    pb::WarningRule {
        code: r.code,
        name: r.name,
        category_prefix: r.category_prefix,
        scope: wire::warning_scope(r.scope) as i32,
        threshold: i32::try_from(r.threshold).unwrap_or(i32::MAX),
        window_days: i32::try_from(r.window_days).unwrap_or(i32::MAX),
        severity: wire::severity(r.severity) as i32,
        enabled: r.enabled,
    }
}

fn warning(w: Warning) -> pb::Warning {
    let (rule_code, scope) = match w.rule {
        Some((code, scope)) => (code, wire::warning_scope(scope)),
        None => (String::new(), pb::WarningScope::Unspecified),
    };
    pb::Warning {
        id: w.id.to_string(),
        kind: wire::warning_kind(w.kind) as i32,
        rule_code,
        scope: scope as i32,
        subject_id: w.subject_id.to_string(),
        grid_id: id_text(w.grid_id),
        count: i32::try_from(w.count).unwrap_or(i32::MAX),
        raised_at: Some(to_proto(w.raised_at)),
        incident_id: id_text(w.incident_id),
    }
}

pub async fn set_rule(api: &Api, req: Request<pb::WarningRule>) -> Answer<pb::WarningRule> {
    let r = req.into_inner();
    let mut f = Fields::new();
    let code = f.text("code", &r.code, NAME_MAX);
    let name = f.text("name", &r.name, NAME_MAX);
    let category_prefix = f.text("category_prefix", &r.category_prefix, NAME_MAX);
    let scope = f.enumeration::<pb::WarningScope>("scope", r.scope).and_then(wire::warning_scope_from);
    let threshold = f.count("threshold", r.threshold, 2, 10_000);
    let window_days = f.count("window_days", r.window_days, 1, 366);
    let severity = match pb::Severity::try_from(r.severity) {
        Ok(s) => wire::severity_from(s),
        Err(_) => {
            f.violation("severity", format!("unknown value {}", r.severity));
            Default::default()
        }
    };
    f.finish()?;
    let scope = scope.ok_or_else(|| ApiError::field("scope", "must be specified"))?;
    let new = Rule { code, name, category_prefix, scope, threshold, window_days, severity, enabled: r.enabled };
    Ok(Response::new(rule(api.store.set_warning_rule(&new).await?)))
}

pub async fn list_rules(api: &Api) -> Answer<pb::ListWarningRulesResponse> {
    let rules = api.store.warning_rules().await?;
    Ok(Response::new(pb::ListWarningRulesResponse { rules: rules.into_iter().map(rule).collect() }))
}

pub async fn list(api: &Api, req: Request<pb::ListWarningsRequest>) -> Answer<pb::ListWarningsResponse> {
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let page = api.pages.page(&mut f, &r);
    let filter = WarningFilter {
        grid_id: f.optional_id("grid_id", &r.grid_id),
        kind: f.optional_enumeration::<pb::WarningKind>("kind", r.kind).and_then(wire::warning_kind_from),
        raised_from: f.timestamp("raised_from", r.raised_from.as_ref()),
        raised_to: f.timestamp("raised_to", r.raised_to.as_ref()),
        limit: page.fetch(),
        after: page.after,
    };
    f.finish()?;
    match filter.grid_id {
        Some(g) => api.confine_place(area.as_ref(), Place::Grid(g)).await?,
        None => api.whole_map(area.as_ref()).await?,
    }
    let mut warnings = api.store.warnings(&filter).await?;
    let next_page_token = page.next(&mut warnings, |w| (w.raised_at, w.id));
    Ok(Response::new(pb::ListWarningsResponse {
        warnings: warnings.into_iter().map(warning).collect(),
        next_page_token,
    }))
}
