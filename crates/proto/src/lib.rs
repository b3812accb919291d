//! The dualnet contract, compiled once from `proto/`: the four gRPC services
//! and every event message. Other crates use these types; none compiles the
//! `.proto` files again.

#![cfg_attr(test, allow(clippy::too_many_lines))]

/// The encoded `FileDescriptorSet` of every dualnet proto, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/dualnet_descriptor.bin"));

pub mod codec;

pub mod governance {
    // Generated: its routers are as long as the services are wide.
    #[allow(clippy::too_many_lines)]
    pub mod v1 {
        tonic::include_proto!("dualnet.governance.v1");
    }
}

pub mod partygrid {
    // Generated: its routers are as long as the services are wide.
    #[allow(clippy::too_many_lines)]
    pub mod v1 {
        tonic::include_proto!("dualnet.partygrid.v1");
    }
}

pub mod complaints {
    // Generated: its routers are as long as the services are wide.
    #[allow(clippy::too_many_lines)]
    pub mod v1 {
        tonic::include_proto!("dualnet.complaints.v1");
    }
}

pub mod arbitration {
    // Generated: its routers are as long as the services are wide.
    #[allow(clippy::too_many_lines)]
    pub mod v1 {
        tonic::include_proto!("dualnet.arbitration.v1");
    }
}

pub use prost_types::Timestamp;

/// The topic each service publishes to (record key = aggregate id).
pub mod topics {
    pub const GOVERNANCE: &str = "dualnet.governance.v1";
    pub const PARTYGRID: &str = "dualnet.partygrid.v1";
    pub const COMPLAINTS: &str = "dualnet.complaints.v1";
    pub const ARBITRATION: &str = "dualnet.arbitration.v1";

    /// The `ce_source` of the one service that publishes to `topic`; its
    /// event types are the messages of the proto package named like the
    /// topic.
    pub fn producer(topic: &str) -> Option<&'static str> {
        Some(match topic {
            GOVERNANCE => "/dualnet/governance-grid",
            PARTYGRID => "/dualnet/party-grid",
            COMPLAINTS => "/dualnet/complaints",
            ARBITRATION => "/dualnet/arbitration",
            _ => return None,
        })
    }
}
