//! The app's screens and the moves between them.
//!
//! Which screen shows is one signal holding a [`Screen`]; pages never set it
//! themselves but report what happened through callbacks, so every move is
//! written here, in one place. The server, not this state, decides who is
//! signed in: on start the app asks it.
//!
//! The callbacks belong to the app, not to a screen, so a page may call one
//! at any time without it having been dropped along with an earlier screen.

use leptos::prelude::*;
use leptos::task::spawn_local;
use twofold_shared::ErrorCode;
use twofold_shared::api::{LoginResponse, MethodOption, SendCodeResponse, SessionInfo};

use crate::api;
use crate::components::card::Card;
use crate::pages::change_password::ChangePassword;
use crate::pages::choose_method::ChooseMethod;
use crate::pages::enter_code::EnterCode;
use crate::pages::home::Home;
use crate::pages::settings::Settings;
use crate::pages::sign_in::SignIn;

/// One screen of the app and what it needs to show.
#[derive(Clone, Debug, PartialEq)]
enum Screen {
    /// Asking the server whether a session is already open.
    Checking,
    /// Username and password; `notice` explains why the person is back here.
    SignIn { notice: Option<String> },
    /// The password was an initial one: choosing a new one.
    ChangePassword,
    /// Choosing where the confirmation code goes.
    ChooseMethod,
    /// Typing the code that was sent.
    EnterCode { sent: SendCodeResponse },
    /// Signed in.
    Home { session: SessionInfo },
    /// A System Administrator's settings.
    Settings { session: SessionInfo },
}

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    let (screen, set_screen) = signal(Screen::Checking);
    // The methods offered after the password, kept for "choose another".
    let (methods, set_methods) = signal(Vec::<MethodOption>::new());

    spawn_local(async move {
        let next = match api::session().await {
            Ok(session) => Screen::Home { session },
            Err(problem) if problem.code() == Some(ErrorCode::NotSignedIn) => {
                Screen::SignIn { notice: None }
            }
            Err(problem) => Screen::SignIn {
                notice: Some(problem.to_string()),
            },
        };
        set_screen.set(next);
    });

    let password_accepted = Callback::new(move |response: LoginResponse| {
        set_screen.set(match response {
            LoginResponse::SignedIn { session } => Screen::Home { session },
            LoginResponse::PasswordChangeRequired { .. } => Screen::ChangePassword,
            LoginResponse::CodeRequired { methods, .. } => {
                set_methods.set(methods);
                Screen::ChooseMethod
            }
        });
    });
    let code_sent = Callback::new(move |sent: SendCodeResponse| {
        set_screen.set(Screen::EnterCode { sent });
    });
    let choose_another = Callback::new(move |()| set_screen.set(Screen::ChooseMethod));
    let signed_in = Callback::new(move |session: SessionInfo| {
        set_methods.set(Vec::new());
        set_screen.set(Screen::Home { session });
    });
    let start_over = Callback::new(move |notice: Option<String>| {
        set_methods.set(Vec::new());
        set_screen.set(Screen::SignIn { notice });
    });
    let signed_out = Callback::new(move |()| set_screen.set(Screen::SignIn { notice: None }));
    let open_settings = Callback::new(move |session: SessionInfo| {
        set_screen.set(Screen::Settings { session });
    });
    // Home reads the session again: the settings may have changed what it shows.
    let back_home = Callback::new(move |()| {
        spawn_local(async move {
            set_screen.set(match api::session().await {
                Ok(session) => Screen::Home { session },
                Err(problem) => Screen::SignIn {
                    notice: Some(problem.to_string()),
                },
            });
        });
    });

    move || match screen.get() {
        Screen::Checking => view! {
            <Card title="Sign In" busy=true>
                <p class="hint">"Checking whether you are signed in…"</p>
            </Card>
        }
        .into_any(),
        Screen::SignIn { notice } => {
            view! { <SignIn notice on_result=password_accepted /> }.into_any()
        }
        Screen::ChangePassword => view! {
            <ChangePassword on_result=password_accepted on_start_over=start_over />
        }
        .into_any(),
        Screen::ChooseMethod => view! {
            <ChooseMethod
                methods=methods.get_untracked()
                on_sent=code_sent
                on_start_over=start_over
            />
        }
        .into_any(),
        Screen::EnterCode { sent } => view! {
            <EnterCode
                sent
                on_verified=signed_in
                on_choose_another=choose_another
                on_start_over=start_over
            />
        }
        .into_any(),
        Screen::Home { session } => view! {
            <Home session on_signed_out=signed_out on_settings=open_settings />
        }
        .into_any(),
        Screen::Settings { session } => view! { <Settings session on_back=back_home /> }.into_any(),
    }
}
