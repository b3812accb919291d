//! The map: subdistrict 街道 → community 社区 → grid 网格 → building 楼栋.

use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subdistrict {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Community {
    pub id: Uuid,
    pub subdistrict_id: Uuid,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    pub id: Uuid,
    pub community_id: Uuid,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Building {
    pub id: Uuid,
    pub grid_id: Uuid,
    pub code: String,
    pub name: String,
    pub address: String,
    pub retired: bool,
    /// The building head (楼栋长): staff code and name.
    pub head: Option<(String, String)>,
    /// Latitude and longitude (WGS 84).
    pub location: Option<(f64, f64)>,
}

/// A grid worker (网格员), known by the department's staff code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridWorker {
    pub staff_code: String,
    pub grid_id: Uuid,
    pub name: String,
    pub assigned_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enterprise {
    pub id: Uuid,
    pub grid_id: Uuid,
    pub code: String,
    pub name: String,
}
