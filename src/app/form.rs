//! The create-store form: a name validated as you type, optional fields prefilled from
//! the configuration, and in a fleet the cluster to create it in (←/→ choose). Nothing
//! typed is lost when the cluster refuses the store.

use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::{Action, App, Command, Mode, Severity};
use crate::domain::config::FormField;
use crate::domain::name::StoreName;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Domain,
    Storage,
    AdminEmail,
}

impl Field {
    pub const ALL: [Field; 4] = [
        Field::Name,
        Field::Domain,
        Field::Storage,
        Field::AdminEmail,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Name => "Name",
            Self::Domain => "Domain",
            Self::Storage => "Volume size",
            Self::AdminEmail => "Admin email",
        }
    }
}

/// Form defaults, from the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Defaults {
    pub domain: String,
    pub storage: String,
    pub admin_email: String,
    pub namespace_prefix: String,
}

#[derive(Debug, Clone)]
pub struct CreateForm {
    pub inputs: [Input; 4],
    pub focus: usize,
    /// The name rule that fails, shown under the name as you type.
    pub name_error: Option<String>,
    /// A configuration or cluster error for the whole form.
    pub error: Option<String>,
    pub submitting: bool,
    namespace_prefix: String,
    /// The clusters it may go to and the one chosen (a choice only in a fleet).
    pub contexts: Vec<String>,
    pub context: usize,
}

impl CreateForm {
    /// The form for the clusters of `contexts`, `at` chosen first.
    pub fn new(d: &Defaults, contexts: Vec<String>, at: usize) -> Self {
        Self {
            inputs: [
                Input::default(),
                Input::new(d.domain.clone()),
                Input::new(d.storage.clone()),
                Input::new(d.admin_email.clone()),
            ],
            focus: 0,
            name_error: None,
            error: None,
            submitting: false,
            namespace_prefix: d.namespace_prefix.clone(),
            context: at.min(contexts.len().saturating_sub(1)),
            contexts,
        }
    }

    /// Whether the form asks which cluster (a fleet's form does).
    pub fn asks_cluster(&self) -> bool {
        self.contexts.len() > 1
    }

    /// The context of the cluster chosen.
    pub fn chosen_context(&self) -> &str {
        self.contexts.get(self.context).map_or("", String::as_str)
    }

    /// The rows focus moves over: the text fields, then the cluster when asked.
    fn rows(&self) -> usize {
        Field::ALL.len() + usize::from(self.asks_cluster())
    }

    /// Whether the cluster row has focus.
    pub fn cluster_focused(&self) -> bool {
        self.focus == Field::ALL.len()
    }

    pub fn value(&self, field: Field) -> &str {
        self.inputs[field as usize].value()
    }

    /// The optional fields as configuration keys: the configuration's top layer.
    pub fn sets(&self) -> Vec<FormField> {
        let size = self.value(Field::Storage);
        [
            ("global.domain", self.value(Field::Domain)),
            ("wordpress.storage", size),
            ("mysql.storage", size),
            ("wordpress.admin.email", self.value(Field::AdminEmail)),
        ]
        .into_iter()
        .map(|(key, value)| FormField::new(key, value))
        .collect()
    }

    fn check_name(&mut self) {
        self.name_error = StoreName::parse(self.value(Field::Name), &self.namespace_prefix)
            .err()
            .map(|e| e.to_string());
    }
}

/// Asks the runtime to check the optional fields against the configuration.
pub fn validate(app: &mut App) -> Vec<Command> {
    let Mode::Create(form) = &mut app.mode else {
        return vec![];
    };
    form.check_name();
    vec![Command::ValidateForm {
        name: form.value(Field::Name).to_string(),
        sets: form.sets(),
    }]
}

pub fn update(app: &mut App, action: Action) -> Vec<Command> {
    let Mode::Create(form) = &mut app.mode else {
        return vec![];
    };
    match action {
        Action::Back => {
            app.mode = Mode::Table;
            vec![]
        }
        Action::NextField => {
            form.focus = (form.focus + 1) % form.rows();
            vec![]
        }
        Action::PrevField => {
            form.focus = (form.focus + form.rows() - 1) % form.rows();
            vec![]
        }
        Action::Type(key) if form.cluster_focused() => {
            use crossterm::event::KeyCode;
            let n = form.contexts.len();
            match key.code {
                KeyCode::Left => form.context = (form.context + n - 1) % n,
                KeyCode::Right | KeyCode::Char(' ') => form.context = (form.context + 1) % n,
                _ => {}
            }
            vec![]
        }
        Action::Type(key) => {
            form.inputs[form.focus].handle_event(&crossterm::event::Event::Key(key));
            form.error = None;
            validate(app)
        }
        Action::FormChecked(result) => {
            form.error = result.err();
            vec![]
        }
        Action::Submit if form.submitting => vec![],
        Action::Submit => {
            form.check_name();
            if let Some(e) = form.name_error.clone() {
                app.say(Severity::Error, e);
                return vec![];
            }
            if let Some(e) = form.error.clone() {
                app.say(Severity::Error, e);
                return vec![];
            }
            form.submitting = true;
            let name = form.value(Field::Name).to_string();
            let sets = form.sets();
            let context = form.chosen_context().to_string();
            let message = if form.asks_cluster() {
                format!("creating store {name} in {context}...")
            } else {
                format!("creating store {name}...")
            };
            app.say(Severity::Info, message);
            vec![Command::Create {
                context,
                name,
                sets,
            }]
        }
        _ => vec![],
    }
}
