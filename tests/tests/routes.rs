//! Every route the SPA calls has a function behind it, in AWS and locally:
//! the calls are read from the SPA's HTTP module, the deployed routes from
//! the SAM template, the local ones from `cargo lambda watch`'s router in
//! Cargo.toml. No stack is needed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking, helpers included"
)]

use std::collections::BTreeSet;

use serde_yaml::Value;
use twofold_shared::admin::paths as admin;
use twofold_shared::api::paths;

type Routes = BTreeSet<(String, String)>;

fn read(relative: &str) -> String {
    let path = format!("{}/../{relative}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The value of a path constant named in the SPA's source.
fn constant(module: &str, name: &str) -> &'static str {
    match (module, name) {
        ("paths", "LOGIN") => paths::LOGIN,
        ("paths", "PASSWORD") => paths::PASSWORD,
        ("paths", "CODE") => paths::CODE,
        ("paths", "VERIFY") => paths::VERIFY,
        ("paths", "SESSION") => paths::SESSION,
        ("paths", "LOGOUT") => paths::LOGOUT,
        ("admin_paths", "TWO_FACTOR") => admin::TWO_FACTOR,
        ("admin_paths", "TWO_FACTOR_READINESS") => admin::TWO_FACTOR_READINESS,
        ("admin_paths", "TWO_FACTOR_CODE") => admin::TWO_FACTOR_CODE,
        ("admin_paths", "USERS") => admin::USERS,
        _ => panic!("the SPA calls {module}::{name}, unknown to this test: add it"),
    }
}

/// The calls in frontend/src/api.rs: `post(paths::X`, `put(admin_paths::X`,
/// `Request::get(paths::X)`, and `user_path(id, "action")` under a verb.
fn spa_routes() -> Routes {
    let source = read("frontend/src/api.rs");
    let mut routes = Routes::new();
    for line in source.lines() {
        for (marker, method) in [("post(", "POST"), ("put(", "PUT"), ("Request::get(", "GET")] {
            let Some(start) = line.find(marker) else {
                continue;
            };
            let rest = line[start + marker.len()..].trim_start_matches('&');
            if let Some((module @ ("paths" | "admin_paths"), tail)) = rest.split_once("::") {
                let name: String = tail
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                    .collect();
                routes.insert((method.into(), constant(module, &name).into()));
            }
            // `put(&user_path(user_id, "contact"), ...)`: the action names it.
            if let Some(action) = rest
                .strip_prefix("user_path(")
                .and_then(|r| r.split('"').nth(1))
            {
                routes.insert((method.into(), format!("/api/users/{{id}}/{action}")));
            }
        }
        // `let path = user_path(user_id, "reactivate");` then `post(&path, ...)`.
        if let Some(at) = line.find("let path = user_path(") {
            let action = line[at..].split('"').nth(1).unwrap().to_owned();
            let verb = source
                .lines()
                .skip_while(|l| *l != line)
                .nth(1)
                .unwrap_or_default();
            let method = if verb.contains("Request::get(") {
                "GET"
            } else if verb.contains("put(") {
                "PUT"
            } else {
                "POST"
            };
            routes.insert((method.into(), format!("/api/users/{{id}}/{action}")));
        }
    }
    routes
}

fn template_routes() -> Routes {
    let doc: Value = serde_yaml::from_str(&read("infra/template.yaml")).unwrap();
    let mut routes = Routes::new();
    for (_, resource) in doc["Resources"].as_mapping().unwrap() {
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (_, event) in events {
            if event["Type"] == "HttpApi" {
                let props = &event["Properties"];
                routes.insert((
                    props["Method"].as_str().unwrap().to_uppercase(),
                    props["Path"].as_str().unwrap().to_owned(),
                ));
            }
        }
    }
    routes
}

/// `[workspace.metadata.lambda.watch.router]`: `"path" = [{ method = "X", ... }]`.
fn local_routes() -> Routes {
    let manifest = read("Cargo.toml");
    let section = manifest
        .split("[workspace.metadata.lambda.watch.router]")
        .nth(1)
        .expect("a router section in Cargo.toml");
    let mut routes = Routes::new();
    let mut path = String::new();
    for line in section.lines() {
        let line = line.trim();
        if line.starts_with('[') && !line.starts_with("[{") {
            break;
        }
        if let Some(rest) = line.strip_prefix('"') {
            path = rest.split('"').next().unwrap().to_owned();
        }
        for entry in line.split("method = \"").skip(1) {
            let method = entry.split('"').next().unwrap();
            routes.insert((method.to_owned(), path.clone()));
        }
    }
    routes
}

#[test]
fn every_route_the_spa_calls_has_a_function_in_aws() {
    let spa = spa_routes();
    assert!(spa.len() >= 14, "too few calls found in the SPA: {spa:?}");
    let missing: Vec<_> = spa.difference(&template_routes()).cloned().collect();
    assert!(
        missing.is_empty(),
        "no function in the template for {missing:?}"
    );
}

#[test]
fn every_route_the_spa_calls_has_a_function_locally() {
    let missing: Vec<_> = spa_routes().difference(&local_routes()).cloned().collect();
    assert!(
        missing.is_empty(),
        "no function in the local router for {missing:?}"
    );
}

#[test]
fn the_local_router_and_the_template_agree() {
    assert_eq!(local_routes(), template_routes());
}
