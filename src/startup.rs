//! Loading a service's settings at startup the way every service does: env files named on the
//! command line or by `JWT_CONFIG_ENV_FILE`, values the service sets in code over them, the
//! process environment over everything; warnings logged through `tracing`; on problems,
//! every problem printed with the warnings that explain it, and exit code 1.

use std::ffi::OsString;
use std::path::PathBuf;

use jwt_config_core::{Config, ConfigError, EnvFile, Layered, Loaded, MapSource, ProcessEnv};

/// The variable that names env files to load (several separated by commas), beside those of
/// the command line.
pub const ENV_FILE_VARIABLE: &str = "JWT_CONFIG_ENV_FILE";

/// Where a service's settings come from, lowest first: env files (each read in isolation: no
/// `$VAR` substitution, `NAME_FILE` only inside its own directory), values set in code, the
/// process environment.
///
/// ```
/// use jwt_config::{Config, JwtConfig, ServiceLoader};
///
/// #[derive(Config)]
/// struct BackendConfig {
///     #[config(flatten)]
///     jwt: JwtConfig,
///     #[config(env = "BACKEND_PORT", default = 3002)]
///     port: u16,
/// }
///
/// let dir = tempfile::tempdir()?;
/// let file = dir.path().join("backend.env");
/// std::fs::write(&file, "ENVIRONMENT=development\nJWT_SECRET_KEY=doc-example-jwt-secret-0123456789abcdefgh\n")?;
/// // In a service: `jwt_config::load_service::<BackendConfig>()`, its env files on the
/// // command line; here, without the process environment.
/// let loaded = ServiceLoader::new()
///     .env_file(&file)
///     .set("SERVICE_ID", "backend")
///     .without_process_env()
///     .try_load::<BackendConfig>()?;
/// assert_eq!(loaded.value.port, 3002);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct ServiceLoader {
    files: Vec<PathBuf>,
    set: MapSource,
    no_process_env: bool,
}

impl ServiceLoader {
    /// No env file yet; the process environment on top.
    pub fn new() -> Self {
        ServiceLoader::default()
    }

    /// The env files of the command line (every argument after the program's name but those
    /// that start with `-`: the service's own flags) and of [`ENV_FILE_VARIABLE`], in that
    /// order.
    pub fn from_args_and_env() -> Self {
        let variable = std::env::var_os(ENV_FILE_VARIABLE);
        ServiceLoader::from_args(std::env::args_os().skip(1), variable)
    }

    /// The env files `args` names (but arguments that start with `-`), then those of
    /// `variable` (the value of [`ENV_FILE_VARIABLE`]: paths separated by commas; a value
    /// that is not UTF-8 is one path).
    pub fn from_args(
        args: impl IntoIterator<Item = impl Into<PathBuf>>,
        variable: Option<OsString>,
    ) -> Self {
        let mut loader = ServiceLoader::new();
        for arg in args {
            let path: PathBuf = arg.into();
            if !path.as_os_str().as_encoded_bytes().starts_with(b"-") {
                loader = loader.env_file(path);
            }
        }
        match variable.as_deref().map(|files| (files, files.to_str())) {
            Some((_, Some(files))) => {
                for file in files.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                    loader = loader.env_file(file);
                }
            }
            // Not UTF-8: one path, never mangled.
            Some((file, None)) => loader = loader.env_file(file),
            None => {}
        }
        loader
    }

    /// Reads this env file too, over the ones before it.
    pub fn env_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.files.push(path.into());
        self
    }

    /// A value the service sets in code (its `SERVICE_ID`), over the env files and under the
    /// process environment.
    pub fn set(mut self, name: &str, value: impl Into<OsString>) -> Self {
        self.set.insert(name, value);
        self
    }

    /// Leaves the process environment out (tests, tools).
    pub fn without_process_env(mut self) -> Self {
        self.no_process_env = true;
        self
    }

    /// The load with its report; each warning is also logged through `tracing` (target
    /// `jwt_config`, level WARN, with the variable and the kind).
    pub fn try_load<T: Config>(&self) -> Result<Loaded<T>, ConfigError> {
        let mut layers = Layered::new();
        for path in &self.files {
            layers = layers.over(EnvFile::isolated(path)?);
        }
        let layers = layers.over(self.set.clone());
        let result = if self.no_process_env {
            T::load_with_report(&layers)
        } else {
            T::load_with_report(&layers.over(ProcessEnv))
        };
        let mut result = result;
        if let Ok(loaded) = &mut result {
            // The loader's own variable is no unknown name of the schema.
            loaded
                .warnings
                .retain(|w| w.variable() != ENV_FILE_VARIABLE);
            for warning in &loaded.warnings {
                tracing::warn!(
                    target: "jwt_config",
                    variable = warning.variable(),
                    kind = warning.kind().as_str(),
                    "{warning}"
                );
            }
        }
        result
    }

    /// The load; on problems, every problem is printed on standard error with the warnings
    /// that explain it, and the process exits with code 1.
    pub fn load<T: Config>(&self) -> Loaded<T> {
        match self.try_load::<T>() {
            Ok(loaded) => loaded,
            Err(error) => {
                eprintln!("{error}");
                std::process::exit(1)
            }
        }
    }
}

/// `ServiceLoader::from_args_and_env().load::<T>()`: a service's settings in one call.
pub fn load_service<T: Config>() -> Loaded<T> {
    ServiceLoader::from_args_and_env().load()
}
