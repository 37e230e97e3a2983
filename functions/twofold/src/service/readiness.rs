//! Whether each user could pass a code challenge: an email address and a
//! mobile phone, neither shared with another user of the account. Pure, so
//! the users view and the 2FA pop-up apply one rule.

use std::collections::HashMap;

use twofold_shared::admin::{NotReadyUser, PracticeReadiness, Readiness, ReadinessProblem};
use twofold_shared::api::PracticeInfo;

use crate::model::{Practice, User};

/// What each user lacks, by user id; ready users map to an empty list.
pub fn problems(users: &[User]) -> HashMap<String, Vec<ReadinessProblem>> {
    let mut emails: HashMap<&str, usize> = HashMap::new();
    let mut phones: HashMap<&str, usize> = HashMap::new();
    for user in users {
        if let Some(email) = &user.email {
            *emails.entry(email.as_str()).or_default() += 1;
        }
        if let Some(phone) = &user.phone {
            *phones.entry(phone.as_str()).or_default() += 1;
        }
    }
    users
        .iter()
        .map(|user| {
            let mut found = Vec::new();
            match &user.email {
                None => found.push(ReadinessProblem::NoEmail),
                Some(email) if emails[email.as_str()] > 1 => {
                    found.push(ReadinessProblem::SharedEmail)
                }
                Some(_) => {}
            }
            match &user.phone {
                None => found.push(ReadinessProblem::NoMobilePhone),
                Some(phone) if phones[phone.as_str()] > 1 => {
                    found.push(ReadinessProblem::SharedMobilePhone)
                }
                Some(_) => {}
            }
            (user.id.clone(), found)
        })
        .collect()
}

/// The users who are not ready, grouped by practice (a user of several
/// practices is listed under each). Users of no practice come last, under
/// "No practice".
pub fn readiness(users: &[User], practices: &[Practice]) -> Readiness {
    let problems = problems(users);
    let not_ready: Vec<&User> = users
        .iter()
        .filter(|u| !problems[&u.id].is_empty())
        .collect();
    let entry = |user: &User| NotReadyUser {
        id: user.id.clone(),
        name: user.name.clone(),
        username: user.username.clone(),
        problems: problems[&user.id].clone(),
    };
    let mut groups: Vec<PracticeReadiness> = Vec::new();
    let mut sorted: Vec<&Practice> = practices.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    for practice in sorted {
        let mut members: Vec<NotReadyUser> = not_ready
            .iter()
            .filter(|u| u.practice_ids.contains(&practice.id))
            .map(|u| entry(u))
            .collect();
        if members.is_empty() {
            continue;
        }
        members.sort_by(|a, b| a.name.cmp(&b.name));
        groups.push(PracticeReadiness {
            practice: PracticeInfo {
                id: practice.id.clone(),
                name: practice.name.clone(),
            },
            users: members,
        });
    }
    let known: Vec<&str> = practices.iter().map(|p| p.id.as_str()).collect();
    let homeless: Vec<NotReadyUser> = not_ready
        .iter()
        .filter(|u| !u.practice_ids.iter().any(|p| known.contains(&p.as_str())))
        .map(|u| entry(u))
        .collect();
    if !homeless.is_empty() {
        groups.push(PracticeReadiness {
            practice: PracticeInfo {
                id: String::new(),
                name: "No practice".into(),
            },
            users: homeless,
        });
    }
    Readiness {
        practices: groups,
        not_ready: not_ready.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UserStatus;
    use twofold_shared::api::Role;
    use twofold_shared::{Email, Phone};

    fn user(id: &str, practices: &[&str], email: Option<&str>, phone: Option<&str>) -> User {
        User {
            id: id.into(),
            account_id: "a".into(),
            username: id.into(),
            name: id.to_uppercase(),
            role: Role::User,
            practice_ids: practices.iter().map(|p| p.to_string()).collect(),
            email: email.map(|e| Email::parse(e).unwrap()),
            phone: phone.map(|p| Phone::from_e164(p).unwrap()),
            password_hash: String::new(),
            status: UserStatus::Active,
            failed_attempts: 0,
            must_change_password: false,
        }
    }

    fn practice(id: &str, name: &str) -> Practice {
        Practice {
            id: id.into(),
            account_id: "a".into(),
            name: name.into(),
        }
    }

    #[test]
    fn each_missing_or_shared_contact_is_a_problem() {
        use ReadinessProblem::*;
        let users = [
            user("ready", &["p1"], Some("r@x.test"), Some("+447700900001")),
            user("no-email", &["p1"], None, Some("+447700900002")),
            user("no-phone", &["p1"], Some("n@x.test"), None),
            user("twin-a", &["p1"], Some("t@x.test"), Some("+447700900003")),
            user("twin-b", &["p2"], Some("T@X.test"), Some("+447700900003")),
        ];
        let found = problems(&users);
        let cases = [
            ("ready", vec![]),
            ("no-email", vec![NoEmail]),
            ("no-phone", vec![NoMobilePhone]),
            ("twin-a", vec![SharedEmail, SharedMobilePhone]),
            ("twin-b", vec![SharedEmail, SharedMobilePhone]),
        ];
        for (id, want) in cases {
            assert_eq!(found[id], want, "{id}");
        }
    }

    #[test]
    fn users_who_are_not_ready_are_grouped_by_practice() {
        let users = [
            user("ann", &["p1", "p2"], None, Some("+447700900001")),
            user("bob", &["p2"], Some("b@x.test"), Some("+447700900002")),
            user("cy", &[], Some("c@x.test"), None),
        ];
        let practices = [
            practice("p2", "Zeta Clinic"),
            practice("p1", "Alpha Clinic"),
        ];
        let report = readiness(&users, &practices);
        assert_eq!(report.not_ready, 2);
        let names: Vec<(&str, Vec<&str>)> = report
            .practices
            .iter()
            .map(|g| {
                let members = g.users.iter().map(|u| u.id.as_str()).collect();
                (g.practice.name.as_str(), members)
            })
            .collect();
        assert_eq!(
            names,
            [
                ("Alpha Clinic", vec!["ann"]),
                ("Zeta Clinic", vec!["ann"]),
                ("No practice", vec!["cy"]),
            ]
        );
    }
}
