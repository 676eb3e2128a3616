//! A client from the kubeconfig, resolved the way kubectl does it: `--kubeconfig`, else
//! `KUBECONFIG` (a list of files, merged), else ~/.kube/config; `--context` or the
//! current context. Exec credential plugins never prompt: their stdin is closed. Inside
//! a pod with no kubeconfig, the pod's ServiceAccount.

use std::path::PathBuf;
use std::sync::Arc;

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use kube::Api;
use kube::api::PostParams;
use kube::config::{KubeConfigOptions, Kubeconfig};

use tokio::sync::OnceCell;

use super::error::{ClusterError, Endpoint};
use super::version::ServerVersion;

/// How to reach the cluster, from the command line.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    /// Stream first lists as watch events (watch-list) where the server can. Off unless
    /// asked: one LIST from the API server's watch cache, read as it streams, was
    /// measured sooner and cheaper on both sides (docs/performance.md, "Watch-list").
    pub watch_list: bool,
}

/// A client and what it points at.
#[derive(Clone)]
pub struct Connection {
    pub client: kube::Client,
    pub endpoint: Endpoint,
    /// The kubeconfig user of the context: who acts, when the server cannot say.
    pub user: String,
    /// Who acts as the API server sees them (or as `acting_as` said), asked once.
    actor: Arc<OnceCell<String>>,
    /// The server's version, asked once.
    version: Arc<OnceCell<ServerVersion>>,
    watch_list: bool,
}

impl Connection {
    pub async fn open(options: &ConnectOptions) -> Result<Self, ClusterError> {
        match Self::from_kubeconfig(options).await {
            // Inside a pod without a kubeconfig: the pod's ServiceAccount, as client-go does.
            Err(ClusterError::NoKubeconfig) if options.kubeconfig.is_none() => {
                match kube::Config::incluster() {
                    Ok(config) => Self::from_config(
                        config,
                        "in-cluster".to_string(),
                        "the pod's service account".to_string(),
                        options,
                    ),
                    Err(_) => Err(ClusterError::NoKubeconfig),
                }
            }
            other => other,
        }
    }

    async fn from_kubeconfig(options: &ConnectOptions) -> Result<Self, ClusterError> {
        let kubeconfig = read_kubeconfig(options)?;
        let context = options
            .context
            .clone()
            .or_else(|| kubeconfig.current_context.clone())
            .ok_or_else(|| {
                ClusterError::BadKubeconfig("no current context is set; pass --context".to_string())
            })?;
        if !kubeconfig.contexts.iter().any(|c| c.name == context) {
            let available: Vec<&str> = kubeconfig
                .contexts
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            return Err(ClusterError::NoContext {
                context,
                available: if available.is_empty() {
                    "none".to_string()
                } else {
                    available.join(", ")
                },
            });
        }
        let mut kubeconfig = kubeconfig;
        for auth in kubeconfig
            .auth_infos
            .iter_mut()
            .filter_map(|a| a.auth_info.as_mut())
        {
            if let Some(exec) = auth.exec.as_mut() {
                exec.interactive_mode = Some(kube::config::ExecInteractiveMode::Never);
            }
        }
        let user = kubeconfig
            .contexts
            .iter()
            .find(|c| c.name == context)
            .and_then(|c| c.context.as_ref())
            .and_then(|c| c.user.clone())
            .unwrap_or_else(|| "unknown".to_string());
        let opts = KubeConfigOptions {
            context: Some(context.clone()),
            ..KubeConfigOptions::default()
        };
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &opts)
            .await
            .map_err(|e| ClusterError::BadKubeconfig(e.to_string()))?;
        Self::from_config(config, context, user, options)
    }

    fn from_config(
        config: kube::Config,
        context: String,
        user: String,
        options: &ConnectOptions,
    ) -> Result<Self, ClusterError> {
        let endpoint = Endpoint {
            server: config
                .cluster_url
                .to_string()
                .trim_end_matches('/')
                .to_string(),
            context,
        };
        let client = kube::Client::try_from(config)
            .map_err(|e| ClusterError::from_kube(e, "creating a client", &endpoint))?;
        Ok(Self {
            client,
            endpoint,
            user,
            actor: Arc::default(),
            version: Arc::default(),
            watch_list: options.watch_list,
        })
    }

    /// Turns a failed request into a `ClusterError` naming this cluster.
    pub fn error(&self, action: &str) -> impl Fn(kube::Error) -> ClusterError + '_ {
        let action = action.to_string();
        move |e| ClusterError::from_kube(e, &action, &self.endpoint)
    }

    /// Whether watchers stream their first list: it was asked for and the server
    /// supports it.
    pub async fn streams_lists(&self) -> bool {
        self.watch_list && self.server_version().await.is_ok_and(|v| v.streams_lists())
    }

    /// This connection acting for `who` (an API caller, as reviewed): what revisions and
    /// audit events then name.
    pub fn acting_as(&self, who: String) -> Self {
        Self {
            actor: Arc::new(OnceCell::new_with(Some(who))),
            ..self.clone()
        }
    }

    /// Who acts: the set identity of `acting_as`, else the user the API server
    /// authenticates (a SelfSubjectReview, asked once per connection), else the
    /// kubeconfig user.
    pub async fn actor(&self) -> &str {
        self.actor
            .get_or_init(|| async {
                reviewed_user(&self.client)
                    .await
                    .unwrap_or_else(|| self.user.clone())
            })
            .await
    }

    /// The API server's version (asked once per connection).
    pub async fn server_version(&self) -> Result<&ServerVersion, ClusterError> {
        self.version
            .get_or_try_init(|| async {
                let info = self
                    .client
                    .apiserver_version()
                    .await
                    .map_err(self.error("asking the server version"))?;
                Ok(ServerVersion::from_info(&info))
            })
            .await
    }
}

/// The user name the API server authenticates this client as (`kubectl auth whoami`);
/// None where it cannot say (a server before 1.28, a failed request: logged).
async fn reviewed_user(client: &kube::Client) -> Option<String> {
    let api: Api<SelfSubjectReview> = Api::all(client.clone());
    match api
        .create(&PostParams::default(), &SelfSubjectReview::default())
        .await
    {
        Ok(review) => review
            .status
            .and_then(|s| s.user_info)
            .and_then(|u| u.username)
            .filter(|name| !name.is_empty()),
        Err(e) => {
            tracing::debug!("asking the server who this user is: {e}");
            None
        }
    }
}

/// The kubeconfig as kubectl finds it: `--kubeconfig`, else `KUBECONFIG` (merged), else
/// ~/.kube/config.
fn read_kubeconfig(options: &ConnectOptions) -> Result<Kubeconfig, ClusterError> {
    Ok(match &options.kubeconfig {
        Some(path) => {
            Kubeconfig::read_from(path).map_err(|e| ClusterError::BadKubeconfig(e.to_string()))?
        }
        None => Kubeconfig::read().map_err(|e| match e {
            kube::config::KubeconfigError::FindPath => ClusterError::NoKubeconfig,
            kube::config::KubeconfigError::ReadConfig(err, _)
                if err.kind() == std::io::ErrorKind::NotFound =>
            {
                ClusterError::NoKubeconfig
            }
            other => ClusterError::BadKubeconfig(other.to_string()),
        })?,
    })
}

/// The names of the kubeconfig's contexts, in its order (what the TUI offers to switch to).
pub fn contexts(options: &ConnectOptions) -> Result<Vec<String>, ClusterError> {
    Ok(read_kubeconfig(options)?
        .contexts
        .into_iter()
        .map(|c| c.name)
        .collect())
}
