//! What a server's health reports: the conditions it waits for before
//! SERVING, and advisories reported under names of their own.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

/// Conditions a server waits for before it reports SERVING (each consumer
/// holding its share of the topics), and advisories it reports under names
/// of their own without withholding SERVING (e.g. `dualnet.calendar`, not
/// serving once the holiday schedule is about to run out).
#[derive(Clone, Default)]
pub struct Readiness(Arc<std::sync::Mutex<Conditions>>);

#[derive(Default)]
struct Conditions {
    required: Vec<Arc<AtomicBool>>,
    advisories: Vec<(&'static str, Arc<AtomicBool>)>,
}

impl Readiness {
    pub fn add(&self, flag: Arc<AtomicBool>) {
        self.0.lock().expect("readiness").required.push(flag);
    }

    /// A condition reported as the health of `name` alone.
    pub fn advise(&self, name: &'static str, flag: Arc<AtomicBool>) {
        self.0.lock().expect("readiness").advisories.push((name, flag));
    }

    pub fn is_ready(&self) -> bool {
        self.0.lock().expect("readiness").required.iter().all(|f| f.load(Ordering::Relaxed))
    }

    /// Each advisory's name and whether every condition of that name holds.
    pub fn advisories(&self) -> Vec<(&'static str, bool)> {
        let held = self.0.lock().expect("readiness");
        let mut out: Vec<(&'static str, bool)> = Vec::new();
        for (name, flag) in &held.advisories {
            let ok = flag.load(Ordering::Relaxed);
            match out.iter_mut().find(|(n, _)| n == name) {
                Some((_, all)) => *all &= ok,
                None => out.push((name, ok)),
            }
        }
        out
    }
}
