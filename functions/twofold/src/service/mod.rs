//! Domain services: what Twofold does, over the ports in [`crate::store`],
//! [`crate::courier`], [`crate::clock`] and [`crate::random`].

pub mod readiness;
pub mod settings;
pub mod signin;
pub mod users;
