using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CartCrossSell.Cli.Hosting;
using CartCrossSell.Engine;
using CartCrossSell.Redis;
using CartCrossSell.Streams;
using CartCrossSell.Topologies;
using CartCrossSell.Topologies.Hosting;
using CartCrossSell.Topologies.Learning;
using CartCrossSell.Topologies.Outcomes;
using CartCrossSell.Topologies.Recommending;
using Microsoft.Extensions.Configuration;
using YamlDotNet.RepresentationModel;

namespace CartCrossSell.Cli.Tests;

/// <summary>
/// deploy/kubernetes checked without a cluster (<c>make k8s-validate</c>): the manifests are held to what the service
/// really reads, through the service's own code: the CLI's parser for the container arguments and the options classes
/// for the ConfigMap and the environment, so a renamed flag, a misspelt key or a moved volume fails here, not in a rollout.
/// </summary>
public sealed class KubernetesManifestTests
{
    private const string EnvironmentPrefix = "CARTXSELL__";
    private const string StateDirectoryVariable = EnvironmentPrefix + "Streams__StateDirectory";

    /// <summary>The sections ServiceConfiguration binds, and Topics (read by topics apply).</summary>
    private static readonly string[] Sections =
    [
        KafkaOptions.SectionName, StreamsOptions.SectionName, RedisStoreOptions.SectionName, "Learning", LearnerOptions.SectionName,
        RecommenderOptions.SectionName, MonitoringOptions.SectionName, ExperimentOptions.SectionName, TopicLayoutOptions.SectionName,
        Topologies.Training.RankerTrainerStreamOptions.SectionName,
    ];

    public static TheoryData<string> Groups => [.. TopologyNames.Selectable];

    private static readonly Lazy<Deployment> Loaded = new(() => Deployment.Load(Path.Combine(RepositoryFiles.Root, "deploy", "kubernetes")));

    private static Deployment Deploy => Loaded.Value;

    [Fact]
    public void Every_manifest_is_a_named_object_in_the_namespace_it_creates()
    {
        var ns = Assert.Single(Deploy.Objects, o => o.Kind == "Namespace").Name;
        Assert.Equal(ns, Deploy.Kustomization.Text("namespace"));
        foreach (var file in Deploy.Files.Where(f => f.Key != Deployment.KustomizationFile))
        {
            Assert.True(file.Value.Count > 0, $"{file.Key} holds no document");
            foreach (var o in file.Value)
            {
                Assert.False(string.IsNullOrWhiteSpace(o.Node.Text("apiVersion")), $"{file.Key}: a document without apiVersion");
                Assert.False(string.IsNullOrWhiteSpace(o.Kind), $"{file.Key}: a document without kind");
                Assert.False(string.IsNullOrWhiteSpace(o.Name), $"{file.Key}: a {o.Kind} without metadata.name");
                // Each file must also apply on its own with kubectl apply -f, where no kustomization sets the namespace.
                if (o.Kind != "Namespace") Assert.True(o.Node.Text("metadata", "namespace") == ns, $"{file.Key}: {o.Kind} {o.Name} is not in namespace {ns}");
            }
        }
    }

    [Fact]
    public void The_kustomization_applies_every_manifest_but_the_example_secret_and_retargets_every_image()
    {
        var resources = Deploy.Kustomization.Items("resources").Select(r => ((YamlScalarNode)r).Value!).ToList();
        foreach (var r in resources) Assert.True(File.Exists(Path.Combine(Deploy.Directory, r)), $"kustomization.yaml lists {r}, which does not exist");
        Assert.DoesNotContain(Deployment.ExampleSecretFile, resources);
        // A manifest the kustomization forgets is never applied by the documented kubectl apply -k.
        var expected = Deploy.Files.Keys.Where(f => f is not Deployment.KustomizationFile and not Deployment.ExampleSecretFile);
        Assert.Equal(expected.Order(StringComparer.Ordinal), resources.Order(StringComparer.Ordinal));

        var retargeted = Deploy.Kustomization.Items("images").Select(i => i.Text("name")).ToHashSet(StringComparer.Ordinal);
        foreach (var workload in Deploy.Workloads)
        {
            // The name is the reference without digest or tag (a registry port's colon precedes the last slash).
            var name = Container(workload).Text("image")!.Split('@')[0];
            if (name.LastIndexOf(':') > name.LastIndexOf('/')) name = name[..name.LastIndexOf(':')];
            Assert.Contains(name, retargeted);
        }
    }

    [Fact]
    public void The_config_map_binds_and_validates_with_the_service_options()
    {
        var configuration = Configuration(Deploy.ConfigJson);
        // Bind rejects unknown keys inside a section, but a misspelt section would be ignored silently.
        foreach (var section in configuration.GetChildren()) Assert.Contains(section.Key, Sections);

        // The default groups (learner and recommender) validate Kafka and Redis too.
        var options = ServiceConfiguration.Bind(configuration);
        options.Validate();
        // Topics is read by topics apply only, so Bind does not check it.
        (configuration.GetSection(TopicLayoutOptions.SectionName).Get<TopicLayoutOptions>(o => o.ErrorOnUnknownConfiguration = true) ?? new()).Validate();

        // Inside a container the default 127.0.0.1 would hide the probes and /metrics from the kubelet and Prometheus.
        Assert.Contains(options.Monitoring.Host, new[] { "*", "0.0.0.0", "::" });
        Assert.NotEqual(0, options.Monitoring.Port);
        // Credentials belong in the Secret.
        Assert.DoesNotContain(options.Kafka.Client.Keys, k => k.Contains("password", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("password=", options.Redis.Configuration, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(Groups))]
    public void Each_group_runs_in_one_stateful_set_with_its_state_on_a_claimed_volume(string group)
    {
        var set = StatefulSet(group);
        var pod = set.Node.At("spec", "template", "spec")!;
        var container = Container(set);
        var parse = Parse(set);
        Assert.Equal("run", parse.CommandResult.Command.Name);
        AssertConfigFileIsMounted(set, parse);

        Assert.True(Environment(set).TryGetValue(StateDirectoryVariable, out var stateDirectory), $"{set.Name}: no {StateDirectoryVariable}, so every start restores all state");
        var claims = set.Node.Items("spec", "volumeClaimTemplates").Select(c => c.Text("metadata", "name")).ToHashSet(StringComparer.Ordinal);
        var stateMount = container.Items("volumeMounts").SingleOrDefault(m => m.Text("mountPath") == stateDirectory);
        Assert.True(stateMount is not null, $"{set.Name}: nothing is mounted at {StateDirectoryVariable}={stateDirectory}");
        // From a claim template, so each pod keeps its own volume across restarts and rescheduling.
        Assert.Contains(stateMount.Text("name"), claims);
        Assert.NotEqual("true", stateMount.Text("readOnly"));

        Assert.Equal("Parallel", set.Node.Text("spec", "podManagementPolicy"));
        var replicas = Number(set.Node, "spec", "replicas");
        var partitions = (Configuration(Deploy.ConfigJson).GetSection(TopicLayoutOptions.SectionName).Get<TopicLayoutOptions>() ?? new()).Partitions;
        Assert.True(replicas <= partitions, $"{set.Name}: {replicas} replicas for {partitions} partitions leaves pods idle");
        // Longer than the command line waits for the groups to close (CliApplication.TerminationTimeout), or the kubelet
        // kills the process before Streamiz wrote its checkpoints.
        Assert.True(Number(pod, "terminationGracePeriodSeconds") > CliApplication.TerminationTimeout.TotalSeconds,
            $"{set.Name}: too short a grace period for a clean close");
        AssertSubset(set.Node.At("spec", "selector", "matchLabels"), PodLabels(set), $"{set.Name}: selector");

        // Non-root as a number (runAsNonRoot cannot verify the image's named user), a group owning the volume, and a
        // read-only root filesystem with /tmp writable.
        Assert.Equal("true", pod.Text("securityContext", "runAsNonRoot"));
        Assert.True(Number(pod, "securityContext", "runAsUser") > 0, $"{set.Name}: runAsUser must be a non-root UID");
        Assert.True(pod.At("securityContext", "fsGroup") is not null, $"{set.Name}: without fsGroup the state volume is not writable");
        Assert.Equal("true", container.Text("securityContext", "readOnlyRootFilesystem"));
        Assert.Contains(container.Items("volumeMounts"), m => m.Text("mountPath") == "/tmp");

        var spread = Assert.Single(pod.Items("affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution"));
        Assert.Equal("kubernetes.io/hostname", spread.Text("podAffinityTerm", "topologyKey"));
        AssertSubset(spread.At("podAffinityTerm", "labelSelector", "matchLabels"), PodLabels(set), $"{set.Name}: anti-affinity");
        Assert.NotNull(container.Text("resources", "requests", "memory"));
        Assert.NotNull(container.Text("resources", "limits", "memory"));
    }

    [Theory]
    [MemberData(nameof(Groups))]
    public void Each_group_is_probed_and_scraped_on_the_configured_monitoring_port(string group)
    {
        var set = StatefulSet(group);
        var container = Container(set);
        var port = ServiceConfiguration.Bind(Configuration(Deploy.ConfigJson, Environment(set))).Monitoring.Port;

        Assert.Equal("/health/ready", container.Text("readinessProbe", "httpGet", "path"));
        Assert.Equal(port, ContainerPort(container, container.Text("readinessProbe", "httpGet", "port")));
        Assert.Equal("/health/live", container.Text("livenessProbe", "httpGet", "path"));
        Assert.Equal(port, ContainerPort(container, container.Text("livenessProbe", "httpGet", "port")));
        // The monitoring endpoint answers only once every group started (Redis connected, replicated tables read in
        // full): a startup probe gives that minutes before liveness may kill the pod.
        Assert.Equal("/health/live", container.Text("startupProbe", "httpGet", "path"));
        Assert.Equal(port, ContainerPort(container, container.Text("startupProbe", "httpGet", "port")));
        Assert.True(Number(container, "startupProbe", "periodSeconds") * Number(container, "startupProbe", "failureThreshold") >= 300,
            $"{set.Name}: less than five minutes to start before liveness applies");

        var annotations = set.Node.At("spec", "template", "metadata", "annotations");
        Assert.Equal("true", annotations?.Text("prometheus.io/scrape"));
        Assert.Equal(port.ToString(CultureInfo.InvariantCulture), annotations?.Text("prometheus.io/port"));
        Assert.Equal("/metrics", annotations?.Text("prometheus.io/path"));

        var service = Assert.Single(Deploy.Objects, o => o.Kind == "Service" && o.Name == set.Node.Text("spec", "serviceName"));
        Assert.Equal("None", service.Node.Text("spec", "clusterIP"));
        Assert.Contains(service.Node.Items("spec", "ports"), p => ContainerPort(container, p.Text("targetPort") ?? p.Text("port")) == port);
    }

    [Theory]
    [MemberData(nameof(Groups))]
    public void Each_group_validates_with_its_environment_over_the_config_map(string group)
    {
        var set = StatefulSet(group);
        var environment = Environment(set);
        foreach (var name in environment.Keys.Where(n => n.StartsWith(EnvironmentPrefix, StringComparison.Ordinal)))
        {
            // Within a section Bind rejects unknown keys; an unknown section would be ignored.
            Assert.Contains(name[EnvironmentPrefix.Length..].Split("__")[0], Sections);
        }
        var options = ServiceConfiguration.Bind(Configuration(Deploy.ConfigJson, environment));
        options.Topologies = [group];
        options.Validate();

        // The recommender repeats the ConfigMap's Redis address to add the password: the two must not drift apart.
        var configMapRedis = ServiceConfiguration.Bind(Configuration(Deploy.ConfigJson)).Redis.Configuration;
        Assert.Equal(configMapRedis.Split(',')[0], options.Redis.Configuration.Split(',')[0]);
    }

    [Fact]
    public void The_web_host_serves_every_interface_validates_its_options_and_is_probed_and_reached_on_its_port()
    {
        var web = Assert.Single(Deploy.Objects, o => o.Kind == "Deployment");
        var parse = Parse(web);
        Assert.Equal("serve", parse.CommandResult.Command.Name);
        Assert.False(parse.GetValue<bool>("--embedded"));
        AssertConfigFileIsMounted(web, parse);
        var environment = Environment(web);
        foreach (var name in environment.Keys.Where(n => n.StartsWith(EnvironmentPrefix, StringComparison.Ordinal)))
            Assert.Contains(name[EnvironmentPrefix.Length..].Split("__")[0], Sections.Append(Web.WebOptions.SectionName));

        // What serve does with them (ServeCommand): --host and --port over the file and the environment, then validated.
        var overrides = new Dictionary<string, string>(environment)
        {
            [EnvironmentPrefix + "Web__Host"] = parse.GetValue<string?>("--host") ?? environment.GetValueOrDefault(EnvironmentPrefix + "Web__Host", ""),
            [EnvironmentPrefix + "Web__Port"] = (parse.GetValue<int?>("--port") ?? 8080).ToString(CultureInfo.InvariantCulture),
        };
        var options = new Web.WebServiceOptions();
        ServiceConfiguration.BindInto(Configuration(Deploy.ConfigJson, overrides), options);
        options.Validate();
        Assert.Contains(options.Web.Host, new[] { "*", "+", "0.0.0.0" });
        Assert.False(options.Web.Shop); // the demo shop is not for production
        Assert.Equal(ServiceConfiguration.Bind(Configuration(Deploy.ConfigJson)).Redis.Configuration.Split(',')[0], options.Redis.Configuration.Split(',')[0]);

        var container = Container(web);
        Assert.Equal("/health/ready", container.Text("readinessProbe", "httpGet", "path"));
        Assert.Equal(options.Web.Port, ContainerPort(container, container.Text("readinessProbe", "httpGet", "port")));
        Assert.Equal("/health/live", container.Text("livenessProbe", "httpGet", "path"));
        Assert.Equal(options.Web.Port, ContainerPort(container, container.Text("livenessProbe", "httpGet", "port")));
        var service = Assert.Single(Deploy.Objects, o => o.Kind == "Service" && IsSubset(o.Node.At("spec", "selector"), PodLabels(web)));
        Assert.NotEqual("None", service.Node.Text("spec", "clusterIP")); // traffic goes to ready pods, not to pod names
        Assert.Contains(service.Node.Items("spec", "ports"), p => ContainerPort(container, p.Text("targetPort") ?? p.Text("port")) == options.Web.Port);
        AssertSubset(web.Node.At("spec", "selector", "matchLabels"), PodLabels(web), $"{web.Name}: selector");

        var pod = web.Node.At("spec", "template", "spec")!;
        Assert.Equal("true", pod.Text("securityContext", "runAsNonRoot"));
        Assert.True(Number(pod, "securityContext", "runAsUser") > 0, $"{web.Name}: runAsUser must be a non-root UID");
        Assert.Equal("true", container.Text("securityContext", "readOnlyRootFilesystem"));
        Assert.Contains(container.Items("volumeMounts"), m => m.Text("mountPath") == "/tmp");
        Assert.NotNull(container.Text("resources", "limits", "memory"));
        Assert.Equal("0", web.Node.Text("spec", "strategy", "rollingUpdate", "maxUnavailable"));
    }

    [Fact]
    public void The_topics_job_applies_the_topics_with_the_mounted_configuration()
    {
        var job = Assert.Single(Deploy.Objects, o => o.Kind == "Job");
        var parse = Parse(job);
        Assert.Equal("apply", parse.CommandResult.Command.Name);
        Assert.Equal("topics", (parse.CommandResult.Parent as CommandResult)?.Command.Name);
        AssertConfigFileIsMounted(job, parse);
        Assert.Contains(job.Node.Text("spec", "template", "spec", "restartPolicy"), new[] { "OnFailure", "Never" });

        // What topics apply validates: Kafka, and the layout.
        var configuration = Configuration(Deploy.ConfigJson, Environment(job));
        ServiceConfiguration.Bind(configuration).Kafka.Validate();
        (configuration.GetSection(TopicLayoutOptions.SectionName).Get<TopicLayoutOptions>() ?? new()).Validate();
    }

    [Fact]
    public void Every_selector_selects_the_pods_of_a_workload()
    {
        var selectors = Deploy.Objects.Where(o => o.Kind == "Service").Select(o => (o, o.Node.At("spec", "selector")))
            .Concat(Deploy.Objects.Where(o => o.Kind == "PodDisruptionBudget").Select(o => (o, o.Node.At("spec", "selector", "matchLabels"))));
        foreach (var (owner, selector) in selectors)
        {
            Assert.True(selector is YamlMappingNode { Children.Count: > 0 }, $"{owner.Kind} {owner.Name} selects nothing");
            Assert.True(Deploy.Workloads.Count(w => IsSubset(selector, PodLabels(w))) == 1, $"{owner.Kind} {owner.Name} does not select exactly one workload's pods");
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------------------

    private static Manifest StatefulSet(string group)
    {
        var sets = Deploy.Objects.Where(o => o.Kind == "StatefulSet" && Parse(o).GetValue<string[]>("--topologies") is [var g] && g == group).ToList();
        Assert.True(sets.Count == 1, $"{sets.Count} StatefulSets run exactly --topologies {group}; one should");
        return sets[0];
    }

    private static YamlNode Container(Manifest workload) => Assert.Single(workload.Node.Items("spec", "template", "spec", "containers"));

    private static YamlNode PodLabels(Manifest workload) => workload.Node.At("spec", "template", "metadata", "labels")!;

    /// <summary>The container's arguments, parsed by the CLI itself: the image's entrypoint is cartxsell.</summary>
    private static ParseResult Parse(Manifest workload)
    {
        var args = Container(workload).Items("args").Select(a => ((YamlScalarNode)a).Value!).ToArray();
        var parse = CliApplication.BuildRootCommand().Parse(args);
        Assert.True(parse.Errors.Count == 0, $"{workload.Kind} {workload.Name}: cartxsell {string.Join(' ', args)}: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
        return parse;
    }

    /// <summary>The file --config names is the ConfigMap's cartxsell.json, mounted where the argument says.</summary>
    private static void AssertConfigFileIsMounted(Manifest workload, ParseResult parse)
    {
        var path = Assert.Single(Assert.IsType<OptionResult>(parse.GetResult("--config")).Tokens).Value;
        var directory = path[..path.LastIndexOf('/')];
        var file = path[(path.LastIndexOf('/') + 1)..];
        var mount = Container(workload).Items("volumeMounts").SingleOrDefault(m => m.Text("mountPath") == directory);
        Assert.True(mount is not null, $"{workload.Kind} {workload.Name}: --config {path}, but nothing is mounted at {directory}");
        Assert.Null(mount.Text("subPath"));
        var volume = Assert.Single(workload.Node.Items("spec", "template", "spec", "volumes"), v => v.Text("name") == mount.Text("name"));
        Assert.Equal(Deploy.ConfigMap.Name, volume.Text("configMap", "name"));
        var key = volume.Items("configMap", "items").FirstOrDefault(i => i.Text("path") == file)?.Text("key") ?? file;
        Assert.Equal(Deployment.ConfigFileKey, key);
    }

    private static readonly Regex Reference = new(@"\$\$|\$\(([^)]*)\)", RegexOptions.CultureInvariant);

    /// <summary>
    /// The container's environment as the kubelet builds it: Secret values from secret.example.yaml, and $(NAME)
    /// expanded from the variables defined before it (a later or unknown one stays literal, which is a mistake).
    /// </summary>
    private static Dictionary<string, string> Environment(Manifest workload)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in Container(workload).Items("env"))
        {
            var name = variable.Text("name")!;
            string value;
            if (variable.At("valueFrom", "secretKeyRef") is { } secretRef)
            {
                Assert.True(secretRef.Text("name") == Deploy.ExampleSecret.Name, $"{workload.Name}: {name} reads secret {secretRef.Text("name")}, which secret.example.yaml does not describe");
                var key = secretRef.Text("key")!;
                Assert.True(Deploy.SecretValues.TryGetValue(key, out var secret), $"{workload.Name}: {name} reads key {key}, which secret.example.yaml lacks");
                value = secret!;
            }
            else if (variable.At("valueFrom") is not null) value = "from-the-downward-api";
            else value = variable.Text("value") ?? "";
            values[name] = Reference.Replace(value, m =>
            {
                if (m.Value == "$$") return "$";
                Assert.True(values.TryGetValue(m.Groups[1].Value, out var referenced), $"{workload.Name}: {name} refers to $({m.Groups[1].Value}), which is not defined before it");
                return referenced!;
            });
        }
        return values;
    }

    /// <summary>The service's layering (ServiceConfiguration.Load): the JSON file, then CARTXSELL__ variables.</summary>
    private static IConfiguration Configuration(string json, IReadOnlyDictionary<string, string>? environment = null) =>
        new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json)))
            .AddInMemoryCollection((environment ?? new Dictionary<string, string>())
                .Where(kv => kv.Key.StartsWith(EnvironmentPrefix, StringComparison.Ordinal))
                .Select(kv => KeyValuePair.Create(kv.Key[EnvironmentPrefix.Length..].Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal), (string?)kv.Value)))
            .Build();

    private static int ContainerPort(YamlNode container, string? port)
    {
        Assert.NotNull(port);
        if (int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number)) return number;
        var named = Assert.Single(container.Items("ports"), p => p.Text("name") == port);
        return Number(named, "containerPort");
    }

    private static int Number(YamlNode node, params string[] path)
    {
        var text = node.Text(path);
        Assert.True(text is not null, $"missing {string.Join('.', path)}");
        return int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
    }

    private static bool IsSubset(YamlNode? labels, YamlNode of) =>
        labels is YamlMappingNode map && map.Children.All(kv => of.Text(((YamlScalarNode)kv.Key).Value!) == ((YamlScalarNode)kv.Value).Value);

    private static void AssertSubset(YamlNode? labels, YamlNode of, string what) =>
        Assert.True(labels is YamlMappingNode { Children.Count: > 0 } && IsSubset(labels, of), $"{what} does not match the pod labels");

    private sealed record Manifest(string File, YamlMappingNode Node)
    {
        public string Kind => Node.Text("kind") ?? "";
        public string Name => Node.Text("metadata", "name") ?? "";
    }

    /// <summary>Every YAML file of deploy/kubernetes, parsed once.</summary>
    private sealed class Deployment
    {
        public const string KustomizationFile = "kustomization.yaml";
        public const string ExampleSecretFile = "secret.example.yaml";
        public const string ConfigFileKey = "cartxsell.json";

        public required string Directory { get; init; }
        public required IReadOnlyDictionary<string, IReadOnlyList<Manifest>> Files { get; init; }

        /// <summary>Every Kubernetes object, the example Secret included.</summary>
        public IEnumerable<Manifest> Objects => Files.Where(f => f.Key != KustomizationFile).SelectMany(f => f.Value);

        public IEnumerable<Manifest> Workloads => Objects.Where(o => o.Kind is "StatefulSet" or "Deployment" or "Job");

        public YamlMappingNode Kustomization => Assert.Single(Files[KustomizationFile]).Node;

        public Manifest ExampleSecret => Assert.Single(Files[ExampleSecretFile]);

        public IReadOnlyDictionary<string, string> SecretValues =>
            ExampleSecret.Node.At("stringData") is YamlMappingNode plain
                ? plain.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value!, StringComparer.Ordinal)
                : ((YamlMappingNode?)ExampleSecret.Node.At("data"))?.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!,
                    kv => Encoding.UTF8.GetString(Convert.FromBase64String(((YamlScalarNode)kv.Value).Value!)), StringComparer.Ordinal) ?? [];

        public Manifest ConfigMap => Assert.Single(Objects, o => o.Kind == "ConfigMap");

        public string ConfigJson => ConfigMap.Node.Text("data", ConfigFileKey) ?? throw new Xunit.Sdk.XunitException($"the ConfigMap has no {ConfigFileKey}");

        public static Deployment Load(string directory)
        {
            var files = new SortedDictionary<string, IReadOnlyList<Manifest>>(StringComparer.Ordinal);
            foreach (var path in System.IO.Directory.EnumerateFiles(directory).Where(p => p.EndsWith(".yaml", StringComparison.Ordinal) || p.EndsWith(".yml", StringComparison.Ordinal)))
            {
                var name = Path.GetFileName(path);
                var stream = new YamlStream();
                using (var reader = File.OpenText(path)) stream.Load(reader);
                files[name] = stream.Documents
                    .Select(d => d.RootNode as YamlMappingNode ?? throw new Xunit.Sdk.XunitException($"{name}: a document is not a mapping"))
                    .Select(n => new Manifest(name, n)).ToList();
            }
            Assert.Contains(KustomizationFile, files.Keys);
            return new Deployment { Directory = directory, Files = files };
        }
    }
}

/// <summary>Paths into a parsed YAML document; a missing step yields null, so assertions name what is missing.</summary>
internal static class YamlNodes
{
    public static YamlNode? At(this YamlNode node, params string[] path)
    {
        YamlNode? current = node;
        foreach (var key in path)
            current = current is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var next) ? next : null;
        return current;
    }

    public static string? Text(this YamlNode node, params string[] path) => (node.At(path) as YamlScalarNode)?.Value;

    public static IEnumerable<YamlNode> Items(this YamlNode node, params string[] path) =>
        node.At(path) is YamlSequenceNode sequence ? sequence.Children : [];
}
