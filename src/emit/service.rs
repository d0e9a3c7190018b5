//! A supervised way to run a Node-RED target (the hub, the broker's
//! connectors), shared by both backends: a systemd unit, a `Containerfile`
//! (Docker-compatible) and the environment file both read, and the
//! README's "Run it supervised" section that says how to install them.
//!
//! Both run exactly the command the README's own "run it" step gives
//! (Node-RED itself, not `npx`, so that stopping the unit or the container
//! stops Node-RED), and both take every secret from the runtime: the unit
//! from `EnvironmentFile=`, the container from `--env-file`, the same file,
//! generated with the variable names only (from `emit::env`), never a
//! value. No spec name reaches these files: every name in them is a fixed
//! one of the target's or an environment variable, `[A-Z0-9_]` by
//! construction, so a name cannot change what the unit or the image does.
//!
//! The unit is hardened as far as Node-RED allows: no new privileges, no
//! capabilities, a read-only system (`ProtectSystem=strict`) but for its
//! user dir (`ReadWritePaths=`), no home folders, devices or kernel knobs.
//! `MemoryDenyWriteExecute=` is left out because V8 compiles code at run
//! time, and `SystemCallFilter=` because a system call outside its list
//! kills Node-RED, and no test can start the unit under systemd to show
//! that the list holds every call Node.js makes (libuv's io_uring among
//! them). The image runs as the base image's unprivileged `node` user (uid
//! 1000), owning only the folders Node-RED writes in.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::emit::Artifact;

/// The Node-RED version an image installs when the target writes no
/// `package.json` (the hub; the broker's `package.json` pins the same).
pub(crate) const NODE_RED_VERSION: &str = "4.1.15";

/// The base image, pinned to one release of Node.js 20, the line Node-RED
/// 4.1 runs on and the tests run (they check the line, not the release).
pub(crate) const NODE_IMAGE: &str = "node:20.20.2-bookworm-slim";

/// The uid and gid of the base image's `node` user. Numeric, so that a
/// runtime can check the image does not run as root.
const NODE_UID: &str = "1000:1000";

/// The port Node-RED listens on unless `PORT` says otherwise.
const PORT: u16 = 1880;

/// The folder, inside the output folder, Node-RED's user dir is.
const USER_DIR: &str = "node-red";

/// Where the image keeps the folder the command runs in.
const IMAGE_DIR: &str = "/app";

/// The container file's path in the output folder (the build context is
/// the output folder).
pub(crate) const CONTAINERFILE_PATH: &str = "Containerfile";

/// How Node-RED (and its modules) get into the image.
pub(crate) enum Install {
    /// `npm install node-red@<NODE_RED_VERSION>`: the target writes no
    /// package file.
    NodeRed,
    /// `npm install` of the `package.json` the target writes (its path in
    /// the output folder), which pins every module.
    Package(&'static str),
}

/// A Node-RED target to supervise.
pub(crate) struct Service {
    /// `hub` or `connectors`: the unit `wireplan-<name>.service`, the
    /// folder `/opt/wireplan-<name>`, the environment file
    /// `/etc/wireplan/<name>.env`, the image `wireplan-<name>`.
    pub(crate) name: &'static str,
    /// What it is, in the files' comments and the unit's description:
    /// "hub", "broker connectors".
    pub(crate) what: &'static str,
    /// The `--target` that generates it.
    pub(crate) target: &'static str,
    /// The folder the command runs in, relative to the output folder: the
    /// folder itself (`""`) or `node-red`.
    pub(crate) dir: &'static str,
    /// The command, as the README's "run it" step gives it, run in `dir`.
    pub(crate) command: &'static [&'static str],
    pub(crate) install: Install,
    /// Every Node-RED file of the output (paths under `node-red/`), which
    /// the image copies.
    pub(crate) files: Vec<String>,
    /// The variables Node-RED does not start without.
    pub(crate) required: Vec<String>,
    /// Optional variables that apply to this spec.
    pub(crate) optional: Vec<String>,
    /// Whether a flow polls: its cursors (`node-red/context/`) must then
    /// outlive a container.
    pub(crate) polls: bool,
}

impl Service {
    fn unit_name(&self) -> String {
        format!("wireplan-{}", self.name)
    }

    /// The unit file's path in the output folder.
    pub(crate) fn unit_path(&self) -> String {
        format!("service/{}.service", self.unit_name())
    }

    /// The environment file's path in the output folder.
    pub(crate) fn env_path(&self) -> String {
        format!("service/{}.env", self.name)
    }

    /// Where the unit expects the output folder.
    fn install_dir(&self) -> String {
        format!("/opt/{}", self.unit_name())
    }

    /// `rel` (a path in the output folder) under `root`.
    fn under(root: &str, rel: &str) -> String {
        if rel.is_empty() { root.to_owned() } else { format!("{root}/{rel}") }
    }

    /// Where the README installs the environment file, filled in, and the
    /// unit and the container read it.
    fn env_file(&self) -> String {
        format!("/etc/wireplan/{}.env", self.name)
    }

    /// A path of the output folder as seen from `dir`.
    fn seen_from_dir(&self, rel: &str) -> String {
        if self.dir.is_empty() {
            return rel.to_owned();
        }
        match rel.strip_prefix(self.dir) {
            Some("") => ".".to_owned(),
            Some(rest) => rest.trim_start_matches('/').to_owned(),
            None => rel.to_owned(),
        }
    }

    /// The folders Node-RED writes in that must outlive a container, from
    /// `dir`: the data folder (audit log, dead letters), and the context
    /// store where a flow polls.
    fn state_dirs(&self) -> Vec<String> {
        let mut dirs = vec![self.seen_from_dir(&format!("{USER_DIR}/data"))];
        if self.polls {
            dirs.push(self.seen_from_dir(&format!("{USER_DIR}/context")));
        }
        dirs
    }
}

/// The unit, the `Containerfile` and the environment file of `service`.
pub(crate) fn artifacts(service: &Service) -> Vec<Artifact> {
    vec![
        Artifact { path: service.unit_path(), bytes: unit(service).into_bytes() },
        Artifact { path: service.env_path(), bytes: env_file(service).into_bytes() },
        Artifact { path: CONTAINERFILE_PATH.into(), bytes: containerfile(service).into_bytes() },
    ]
}

/// The systemd unit.
fn unit(s: &Service) -> String {
    let dir = s.install_dir();
    let work = Service::under(&dir, s.dir);
    let writable = Service::under(&dir, USER_DIR);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Generated by `wireplan build --target {}`; do not edit: change the spec and build again.\n\
         # Runs Node-RED from {dir} as the user wireplan; README.md (\"Run it supervised\") says how to\n\
         # install it.",
        s.target
    );
    let _ = writeln!(
        out,
        "[Unit]\nDescription=wireplan {} (Node-RED)\nAfter=network-online.target\nWants=network-online.target\n",
        s.what
    );
    out.push_str("[Service]\nType=exec\nUser=wireplan\nGroup=wireplan\n");
    let _ = writeln!(out, "WorkingDirectory={work}");
    out.push_str("Environment=NODE_ENV=production\n");
    let _ = writeln!(out, "# The secrets, and every variable README.md lists: {}", s.env_path());
    let _ = writeln!(out, "EnvironmentFile={}", s.env_file());
    // The README's command as it is: Node-RED itself is the main process,
    // so stopping the unit stops it.
    let _ = writeln!(out, "ExecStart={}", s.command.join(" "));
    out.push_str("Restart=on-failure\nRestartSec=5s\nTimeoutStopSec=30s\n");
    out.push_str("# Node-RED writes only in its user dir (flows' context, the audit log, dead letters).\n");
    out.push_str("NoNewPrivileges=yes\nProtectSystem=strict\n");
    let _ = writeln!(out, "ReadWritePaths={writable}");
    out.push_str(
        "ProtectHome=yes\nPrivateTmp=yes\nPrivateDevices=yes\nProtectKernelTunables=yes\nProtectKernelModules=yes\n\
         ProtectKernelLogs=yes\nProtectControlGroups=yes\nProtectClock=yes\nProtectHostname=yes\n\
         RestrictNamespaces=yes\nRestrictRealtime=yes\nRestrictSUIDSGID=yes\nLockPersonality=yes\nRemoveIPC=yes\n\
         CapabilityBoundingSet=\nSystemCallArchitectures=native\n\
         RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK\nUMask=0027\n\n\
         [Install]\nWantedBy=multi-user.target\n",
    );
    out
}

/// The environment file: every variable's name, no value.
fn env_file(s: &Service) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# The environment of the {what} (generated by `wireplan build --target {target}`; README.md says\n\
         # what each variable is). Install it as {file}, readable by root only, and fill\n\
         # in every value, without quotes: Node-RED does not start while one is empty. The systemd\n\
         # unit reads it (EnvironmentFile=), and so does the container (docker run --env-file).",
        what = s.what,
        target = s.target,
        file = s.env_file(),
    );
    for name in &s.required {
        let _ = writeln!(out, "{name}=");
    }
    if !s.optional.is_empty() {
        out.push_str("# Optional:\n");
        for name in &s.optional {
            let _ = writeln!(out, "#{name}=");
        }
    }
    out
}

/// The `Containerfile`: the base image pinned, Node-RED installed from
/// npm, the target's Node-RED files copied, run as `node`.
fn containerfile(s: &Service) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Generated by `wireplan build --target {}`; do not edit: change the spec and build again.\n\
         # The {} as an image, built in this folder (README.md, \"Run it supervised\"). Every\n\
         # variable comes from the runtime (docker run --env-file); no secret is in the image.",
        s.target, s.what
    );
    let _ = writeln!(out, "FROM {NODE_IMAGE}");
    out.push_str("ENV NODE_ENV=production\n");
    let _ = writeln!(out, "WORKDIR {IMAGE_DIR}");
    match s.install {
        Install::NodeRed => {
            let _ = writeln!(
                out,
                "RUN npm install --no-audit --no-fund --omit=dev node-red@{NODE_RED_VERSION} && npm cache clean --force"
            );
        }
        Install::Package(path) => {
            let _ = writeln!(out, "COPY {path} ./");
            out.push_str("RUN npm install --no-audit --no-fund --omit=dev && npm cache clean --force\n");
        }
    }
    // One COPY per folder, of the files the target writes there (never a
    // whole folder, which would take a local `node_modules` or data along).
    let package = match s.install {
        Install::Package(path) => Some(path),
        Install::NodeRed => None,
    };
    let mut by_folder: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for file in s.files.iter().filter(|f| Some(f.as_str()) != package) {
        let folder = s.seen_from_dir(file.rsplit_once('/').map_or("", |(folder, _)| folder));
        by_folder.entry(folder).or_default().push(file);
    }
    for (folder, files) in &by_folder {
        let dest = if folder == "." { "./".to_owned() } else { format!("{folder}/") };
        let _ = writeln!(out, "COPY {} {dest}", files.join(" "));
    }
    // Node-RED writes in its user dir; the rest stays root's, read-only.
    let user_dir = s.seen_from_dir(USER_DIR);
    let states = s.state_dirs();
    let _ = writeln!(out, "RUN mkdir -p {} && chown {NODE_UID} {user_dir} {}", states.join(" "), states.join(" "));
    let _ = writeln!(out, "USER {NODE_UID}");
    // Inside a container Node-RED must listen beyond the loopback; publish
    // the port on the host's 127.0.0.1 behind a TLS proxy.
    out.push_str("ENV WIREPLAN_HOST=0.0.0.0\n");
    let _ = writeln!(out, "EXPOSE {PORT}");
    let _ = writeln!(
        out,
        "HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD [\"node\", \"-e\", \
         \"fetch('http://127.0.0.1:' + (process.env.PORT || {PORT}) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))\"]"
    );
    // The exec form, a JSON array: no shell between the runtime and Node-RED.
    let _ = writeln!(out, "CMD {}", serde_json::to_string(s.command).unwrap_or_default());
    out
}

/// The README's "Run it supervised" section: verify and install the unit,
/// build and run the image. Runnable blocks are fenced `sh`; those that
/// need systemd as PID 1 or a container engine are fenced
/// `sh needs-systemd` and `sh needs-container-engine`, so that the test
/// that runs the README's commands as written knows which it cannot run.
pub(crate) fn readme_section(s: &Service, out: &mut String) {
    let unit = s.unit_name();
    let dir = s.install_dir();
    let env_file = s.env_file();
    let unit_path = s.unit_path();
    let env_path = s.env_path();
    out.push_str("## Run it supervised\n\n");
    let _ = writeln!(
        out,
        "Two ways to keep the {what} running and restart it when it fails: a systemd unit \
         (`{unit_path}`) and a container image (`{CONTAINERFILE_PATH}`). Both run the command above, \
         and both read the variables from one file: `{env_path}` lists {count}, without values; install it \
         as `{env_file}`, readable by root only, and fill it in (no quotes).\n",
        what = s.what,
        count = match s.required.len() {
            0 => "only optional ones (this spec needs none)".to_owned(),
            1 => "the one this spec needs".to_owned(),
            n => format!("the {n} this spec needs"),
        },
    );
    let work = Service::under(&dir, s.dir);
    let writable = Service::under(&dir, USER_DIR);
    let _ = writeln!(
        out,
        "### systemd\n\n\
         The unit runs Node-RED as the user `wireplan` in `{work}` (`WorkingDirectory=`), reads \
         `{env_file}` (`EnvironmentFile=`), restarts it when it fails, and lets it write only in \
         `{writable}` (`ProtectSystem=strict`, `ReadWritePaths=`; a `WIREPLAN_DATA_DIR` elsewhere must be \
         added there). Check it:\n\n\
         ```sh\nsystemd-analyze verify {unit_path}\n```\n\n\
         Then, after the install above, on the host that runs systemd (another folder than `{dir}`: \
         `sudo systemctl edit {unit}` and set `WorkingDirectory=` and `ReadWritePaths=`):\n\n\
         ```sh needs-systemd"
    );
    // Each line may run again (an update, the other target's unit): the
    // user is made once, and a filled-in environment file is kept.
    out.push_str(
        "id wireplan >/dev/null 2>&1 || sudo useradd --system --no-create-home --shell /usr/sbin/nologin wireplan\n",
    );
    let _ = writeln!(out, "sudo mkdir -p {dir}");
    if s.dir.is_empty() {
        let _ = writeln!(out, "sudo cp -R node_modules {USER_DIR} {dir}/");
    } else {
        let _ = writeln!(out, "sudo cp -R {USER_DIR} {dir}/");
    }
    let _ = writeln!(out, "sudo chown wireplan:wireplan {writable}");
    let _ = writeln!(out, "test -e {env_file} || sudo install -D -m 0600 {env_path} {env_file}");
    let _ = writeln!(out, "sudoedit {env_file}");
    let _ = writeln!(out, "sudo install -m 0644 {unit_path} /etc/systemd/system/");
    out.push_str("sudo systemctl daemon-reload\n");
    let _ = writeln!(out, "sudo systemctl enable --now {unit}");
    out.push_str("```\n\n");
    let _ = writeln!(
        out,
        "`sudo systemctl stop {unit}` stops Node-RED (it is the unit's main process), `journalctl -u {unit}` \
         shows its log. After a new build, copy the files again and `sudo systemctl restart {unit}`.\n"
    );
    let volumes: Vec<String> = s
        .state_dirs()
        .iter()
        .map(|d| {
            let last = d.rsplit('/').next().unwrap_or(d);
            format!("-v {unit}-{last}:{}", Service::under(IMAGE_DIR, d))
        })
        .collect();
    let _ = writeln!(
        out,
        "### Container\n\n\
         `{CONTAINERFILE_PATH}` builds on `{NODE_IMAGE}`, installs Node-RED{install} with npm, copies the \
         Node-RED files, and runs the same command as the unprivileged `node` user, with a `HEALTHCHECK` on \
         `GET /healthz`. No variable is in the image: pass the same file at run time. Inside the container \
         Node-RED listens on 0.0.0.0; publish the port on 127.0.0.1 behind a TLS proxy. The volumes keep \
         what must outlive a container ({kept}). Docker and Podman take the same arguments:\n\n\
         ```sh needs-container-engine\n\
         docker build -f {CONTAINERFILE_PATH} -t {unit} .\n\
         docker run -d --name {unit} --restart on-failure --env-file {env_file} -p 127.0.0.1:{PORT}:{PORT} {} {unit}\n\
         ```\n",
        volumes.join(" "),
        install = match s.install {
            Install::NodeRed => format!(" {NODE_RED_VERSION}"),
            Install::Package(path) => format!(" and the modules `{path}` pins"),
        },
        kept = if s.polls { "the audit log, dead letters and poll cursors" } else { "the audit log and dead letters" },
    );
    out.push_str(
        "wireplan's tests run the `sh` blocks of this README as written, but not those marked `needs-systemd` \
         (installing the unit on a host whose PID 1 is systemd) or `needs-container-engine` (building and \
         running the image), which the machine that runs them lacks. Instead, the unit is \
         checked by `systemd-analyze verify` and its `ExecStart=` is run as written with its environment, and \
         the `Containerfile` is linted by hadolint and its `RUN`, `HEALTHCHECK` and `CMD` steps are run as \
         written outside a container; the image build itself is not exercised.\n",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub() -> Service {
        Service {
            name: "hub",
            what: "hub",
            target: "hub",
            dir: "",
            command: &[
                "node",
                "node_modules/node-red/red.js",
                "--settings",
                "node-red/settings.js",
                "--userDir",
                "node-red",
            ],
            install: Install::NodeRed,
            files: vec!["node-red/flows.json".into(), "node-red/settings.js".into()],
            required: vec!["A_URL".into(), "B_TOKEN".into()],
            optional: vec!["WIREPLAN_ADMIN_TOKEN".into()],
            polls: false,
        }
    }

    fn connectors() -> Service {
        Service {
            name: "connectors",
            what: "broker connectors",
            target: "broker",
            dir: "node-red",
            command: &["node", "node_modules/node-red/red.js", "--settings", "settings.js", "--userDir", "."],
            install: Install::Package("node-red/package.json"),
            files: ["flows.json", "package.json", "settings.js", "nodes/a.js", "nodes/a.html"]
                .iter()
                .map(|f| format!("node-red/{f}"))
                .collect(),
            required: vec!["X".into()],
            optional: vec![],
            polls: true,
        }
    }

    #[test]
    fn the_unit_runs_the_readme_command_where_the_readme_says() {
        let hub = unit(&hub());
        assert!(hub.contains(
            "\nExecStart=node node_modules/node-red/red.js --settings node-red/settings.js --userDir node-red\n"
        ));
        assert!(
            hub.contains("\nWorkingDirectory=/opt/wireplan-hub\n")
                && hub.contains("\nReadWritePaths=/opt/wireplan-hub/node-red\n")
        );
        assert!(hub.contains("\nEnvironmentFile=/etc/wireplan/hub.env\n") && hub.contains("\nRestart=on-failure\n"));
        let connectors = unit(&connectors());
        assert!(connectors.contains("\nWorkingDirectory=/opt/wireplan-connectors/node-red\n"), "{connectors}");
        assert!(connectors.contains("\nReadWritePaths=/opt/wireplan-connectors/node-red\n"));
    }

    #[test]
    fn the_env_file_has_names_and_no_values() {
        let text = env_file(&hub());
        assert!(text.contains("\nA_URL=\nB_TOKEN=\n# Optional:\n#WIREPLAN_ADMIN_TOKEN=\n"), "{text}");
        assert!(text.lines().filter(|l| !l.starts_with('#')).all(|l| l.ends_with('=')));
    }

    #[test]
    fn the_image_copies_the_files_by_folder_and_keeps_state_where_it_applies() {
        let hub = containerfile(&hub());
        assert!(hub.contains(
            "\nRUN npm install --no-audit --no-fund --omit=dev node-red@4.1.15 && npm cache clean --force\n"
        ));
        assert!(hub.contains("\nCOPY node-red/flows.json node-red/settings.js node-red/\n"), "{hub}");
        assert!(hub.contains("\nRUN mkdir -p node-red/data && chown 1000:1000 node-red node-red/data\n"), "{hub}");
        assert!(hub.ends_with(
            "CMD [\"node\",\"node_modules/node-red/red.js\",\"--settings\",\"node-red/settings.js\",\"--userDir\",\"node-red\"]\n"
        ));
        let connectors = containerfile(&connectors());
        assert!(connectors.contains("\nCOPY node-red/package.json ./\nRUN npm install --no-audit"), "{connectors}");
        assert!(connectors.contains("\nCOPY node-red/flows.json node-red/settings.js ./\n"), "{connectors}");
        assert!(connectors.contains("\nCOPY node-red/nodes/a.js node-red/nodes/a.html nodes/\n"), "{connectors}");
        assert!(connectors.contains("\nRUN mkdir -p data context && chown 1000:1000 . data context\n"), "{connectors}");
    }

    #[test]
    fn the_readme_marks_what_needs_systemd_or_a_container_engine() {
        let mut text = String::new();
        readme_section(&connectors(), &mut text);
        assert!(text.contains("```sh\nsystemd-analyze verify service/wireplan-connectors.service\n```"), "{text}");
        assert!(text.contains("```sh needs-systemd\n") && text.contains("```sh needs-container-engine\n"));
        assert!(
            text.contains("-v wireplan-connectors-data:/app/data -v wireplan-connectors-context:/app/context"),
            "{text}"
        );
        assert!(text.contains("sudo cp -R node-red /opt/wireplan-connectors/\n"));
        let mut hub_text = String::new();
        readme_section(&hub(), &mut hub_text);
        assert!(hub_text.contains("-v wireplan-hub-data:/app/node-red/data wireplan-hub"), "{hub_text}");
        assert!(!hub_text.contains("poll"), "{hub_text}");
    }

    #[test]
    fn the_pins_are_the_broker_packages() {
        assert_eq!(NODE_RED_VERSION, crate::emit::broker::NODE_RED_VERSION);
    }
}
