using System.Text.Json;
using CartCrossSell.Cli.Hosting;
using CartCrossSell.Contracts;
using CartCrossSell.TestInfrastructure;
using CartCrossSell.Topologies.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CartCrossSell.Cli.Tests;

/// <summary>The operator's commands: help, configuration errors, topic provisioning and backfill on the embedded cluster.</summary>
public sealed class OperatorCommandsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cartxsell-cli-" + Guid.NewGuid().ToString("N"));

    public OperatorCommandsTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApplication.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task A_kafka_command_against_a_cluster_that_is_down_fails_in_one_line_without_a_stack_trace()
    {
        // Nothing listens on port 1: the rules table cannot read its topic's metadata.
        var (code, _, error) = await Run("rules", "list", "-b", "127.0.0.1:1");

        Assert.Equal(1, code);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("kafka error: ", line);
        Assert.Contains("Kafka:BootstrapServers", line);
    }

    [Theory]
    [InlineData("{\"Monitoring\": {\"Port\": \"abc\"}}", "'Monitoring:Port'")]
    [InlineData("{\"Learning\": {\"HalfLife\": \"abc\"}}", "'Learning:HalfLife'")]
    [InlineData("{\"Learning\": {\"HalfLif\": \"1.00:00:00\"}}", "'HalfLif'")]
    [InlineData("{\"Monitoring\": {\"Host\": \"myhost.invalid\"}}", "Monitoring:Host 'myhost.invalid'")]
    public async Task A_value_that_does_not_bind_or_a_host_name_to_listen_on_stops_the_service_at_start_naming_the_key(string json, string named)
    {
        var file = Path.Combine(_dir, "service.json");
        await File.WriteAllTextAsync(file, json);
        var (code, _, error) = await Run("run", "--config", file, "-b", "127.0.0.1:1", "--redis", "127.0.0.1:1");
        Assert.Equal(2, code);
        Assert.StartsWith("configuration error: ", error);
        Assert.Contains(named, error);
    }

    [Fact]
    public async Task The_web_host_refuses_a_host_name_to_listen_on()
    {
        // Kestrel would take any name that is not an IP address or localhost for every interface. (Were it accepted,
        // serve would run until cancelled: the token ends it, and the exit code tells.)
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var output = new StringWriter();
        var errors = new StringWriter();
        var code = await CliApplication.RunAsync(["serve", "-b", "127.0.0.1:1", "--redis", "127.0.0.1:1", "--host", "999.1.1.1", "--port", "0"], output, errors, stop.Token);
        var error = errors.ToString();
        Assert.Equal(2, code);
        Assert.Contains("Web:Host '999.1.1.1' must be *, localhost or an IP address", error);
    }

    [Theory]
    [InlineData("bogus.key", "1", "No such configuration property")]
    [InlineData("fetch.wait.max.ms", "abc", "Invalid value")]
    public async Task A_kafka_client_property_librdkafka_refuses_is_a_configuration_error(string property, string value, string reason)
    {
        var file = Path.Combine(_dir, "client.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new { Kafka = new { Client = new Dictionary<string, string> { [property] = value } } }));
        var (code, _, error) = await Run("backfill", "--config", file, "-b", "127.0.0.1:1", "--orders", Path.Combine(RepositoryFiles.Root, "data", "online-retail-dec2010.csv"));
        Assert.Equal(2, code);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("configuration error: Kafka:Client: " + reason, line);
        Assert.Contains(property, line);
    }

    [Fact]
    public async Task Topics_apply_refuses_a_misspelt_topics_key_naming_it_before_it_connects()
    {
        // Bound loosely, the typo was ignored and production topics were created with the default replication factor 1.
        var file = Path.Combine(_dir, "topics.json");
        await File.WriteAllTextAsync(file, """{"Topics":{"ReplicationFactr":3}}""");
        var (code, _, error) = await Run("topics", "apply", "--config", file, "-b", "127.0.0.1:1");
        Assert.Equal(2, code);
        Assert.StartsWith("configuration error: configuration section 'Topics'", error);
        Assert.Contains("ReplicationFactr", error);
    }

    [Fact]
    public async Task Backfill_into_a_file_or_a_pipe_reports_progress_as_a_line_per_tenth_of_the_orders()
    {
        // Not a terminal (the output is not the console): no carriage returns, which made a log one very long line.
        using var cluster = Streams.EmbeddedKafkaCluster.Start();
        var (code, output, error) = await Run("backfill", "-b", cluster.BootstrapServers, "--orders", Path.Combine(RepositoryFiles.Root, "data", "online-retail-dec2010.csv"));
        Assert.True(code == 0, error);
        Assert.DoesNotContain('\r', output);
        var progress = output.Split('\n').Where(l => l.StartsWith("backfill: ", StringComparison.Ordinal) && l.TrimEnd().EndsWith(" orders", StringComparison.Ordinal)).ToList();
        Assert.InRange(progress.Count, 10, 11);
        Assert.Matches(@"^backfill: (\d+)/\1 orders$", progress[^1].TrimEnd());
    }

    [Fact]
    public async Task A_signal_while_a_command_waits_for_the_broker_cancels_it_with_exit_130()
    {
        // A process of its own (a signal to the test host would stop the tests), whose broker is a socket that accepts
        // and never answers: the backfill waits on it. The signal goes once it connected, so the command line's handlers
        // are in place whatever the machine's load. SIGTERM, which a runner never ignores (an interactive Ctrl+C is
        // SIGINT, handled the same way).
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "cartxsell.dll"), "backfill", "-b", "127.0.0.1:" + port, "--orders", Path.Combine(RepositoryFiles.Root, "data", "online-retail-dec2010.csv") })
            start.ArgumentList.Add(arg);
        using var process = System.Diagnostics.Process.Start(start)!;
        try
        {
            var error = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEndAsync();
            using var connected = await silent.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.False(process.HasExited, "the backfill must be waiting for the broker");
            using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

            Assert.Equal(130, process.ExitCode);
            Assert.Equal("cancelled", (await error).Trim());
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public void A_kafka_failure_is_found_however_it_is_wrapped_and_nothing_else_is_taken_for_one()
    {
        var refused = new Confluent.Kafka.KafkaException(Confluent.Kafka.ErrorCode.Local_Transport);
        Assert.Same(refused, CliApplication.KafkaFailure(refused));
        Assert.Same(refused, CliApplication.KafkaFailure(new InvalidOperationException("a group stopped", refused)));
        Assert.Same(refused, CliApplication.KafkaFailure(new AggregateException(new TimeoutException(), new InvalidOperationException("start", refused))));
        Assert.Null(CliApplication.KafkaFailure(new AggregateException(new TimeoutException(), new InvalidOperationException("not kafka"))));
    }

    [Fact]
    public void A_client_setting_refusal_is_known_by_who_threw_it_not_by_the_method_it_was_thrown_in()
    {
        // Confluent's constructor throws from a lambda inside List.ForEach: the first frame outside the runtime's library
        // is Confluent's, whether or not the JIT inlined the lambda into ForEach.
        var refused = Assert.ThrowsAny<Exception>(() => new Confluent.Kafka.ProducerBuilder<string, string>(
            new Dictionary<string, string> { ["bootstrap.servers"] = "127.0.0.1:1", ["bogus.key"] = "1" }).Build());
        Assert.Same(refused, CliApplication.KafkaClientSetting(new AggregateException(refused)));
        // The same types thrown the same way from this project's code are no configuration error.
        var ours = Assert.Throws<InvalidOperationException>(() => new List<int> { 1 }.ForEach(_ => throw new InvalidOperationException("ours")));
        Assert.Null(CliApplication.KafkaClientSetting(ours));
    }

    [Theory]
    [InlineData("run", "--topologies")]
    [InlineData("demo", "--orders")]
    [InlineData("backfill", "--rebase-to-now")]
    [InlineData("topics apply", "--config")]
    [InlineData("eval", "--orders")]
    [InlineData("recommend-batch", "--carts")]
    [InlineData("simulate", "--wanted-acceptance")]
    [InlineData("demo", "--sessions")]
    public async Task Every_operator_task_is_a_sub_command_with_help(string command, string documentedOption)
    {
        var (code, output, _) = await Run([.. command.Split(' '), "--help"]);
        Assert.Equal(0, code);
        Assert.Contains(documentedOption, output);
    }

    [Fact]
    public async Task The_simulator_refuses_a_behaviour_knob_out_of_range_a_missing_orders_file_and_an_unreachable_redis()
    {
        var (code, _, error) = await Run("simulate", "-b", "127.0.0.1:1", "--redis", "127.0.0.1:1", "--orders", Path.Combine(RepositoryFiles.Root, "data", "online-retail-dec2010.csv"), "--checkout-rate", "1.5");
        Assert.Equal(2, code);
        Assert.Contains("invalid option --checkout-rate: must lie between 0 and 1 (was 1.5)", error);
        (code, _, error) = await Run("simulate", "-b", "127.0.0.1:1", "--redis", "127.0.0.1:1", "--orders", Path.Combine(RepositoryFiles.Root, "data", "online-retail-dec2010.csv"), "--returning-visitors", "1");
        Assert.Equal(2, code);
        Assert.Contains("invalid option --returning-visitors: must lie between 0 and 1, 1 excluded (someone has to visit first) (was 1)", error);
        (code, _, error) = await Run("simulate", "-b", "127.0.0.1:1", "--redis", "127.0.0.1:1", "--orders", Path.Combine(RepositoryFiles.Root, "data", "online-retail-dec2010.csv"), "--repeat-basket", "1.5");
        Assert.Equal(2, code);
        Assert.Contains("invalid option --repeat-basket: must lie between 0 and 1 (was 1.5)", error);
        (code, _, error) = await Run("simulate", "-b", "127.0.0.1:1", "--redis", "127.0.0.1:1", "--orders", Path.Combine(RepositoryFiles.Root, "data", "online-retail-dec2010.csv"), "--concurrency", "0");
        Assert.Equal(2, code);
        Assert.Contains("invalid option --concurrency: must be positive (was 0)", error);
        (code, _, error) = await Run("simulate", "-b", "127.0.0.1:1", "--orders", Path.Combine(_dir, "missing.csv"));
        Assert.Equal(2, code);
        Assert.Contains("missing.csv: file not found", error);
        (code, _, error) = await Run("simulate", "-b", "127.0.0.1:1", "--redis", "127.0.0.1:1", "--orders", Path.Combine(RepositoryFiles.Root, "data", "online-retail-dec2010.csv"), "-n", "1");
        Assert.Equal(2, code);
        Assert.Contains("cannot reach Redis at '127.0.0.1:1'", error);
        (code, _, error) = await Run("simulate", "-b", "127.0.0.1:1", "--orders", Path.Combine(RepositoryFiles.Root, "data", "online-retail-dec2010.csv"));
        Assert.Equal(2, code);
        Assert.Contains("Redis:Configuration is required", error);
        (code, _, error) = await Run("simulate", "--redis", "127.0.0.1:1", "--orders", Path.Combine(RepositoryFiles.Root, "data", "online-retail-dec2010.csv"));
        Assert.Equal(2, code);
        Assert.Contains("Kafka:BootstrapServers is required", error);
    }

    [Fact]
    public async Task The_demo_refuses_no_sessions_before_it_starts_anything_naming_the_flag()
    {
        // The simulator would refuse it only after the backfill and the learning, with a stack trace.
        var (code, output, error) = await Run("demo", "--orders", Path.Combine(RepositoryFiles.Root, "data", "online-retail-dec2010.csv"), "--sessions", "0");
        Assert.Equal(2, code);
        Assert.Equal("invalid option --sessions: must be positive (was 0)", error.Trim());
        Assert.Empty(output);
    }

    [Fact]
    public async Task Running_without_a_bootstrap_address_is_a_configuration_error_naming_the_key()
    {
        var (code, _, error) = await Run("run", "--redis", "127.0.0.1:1");
        Assert.Equal(2, code);
        Assert.Contains("Kafka:BootstrapServers is required", error);
    }

    [Fact]
    public async Task A_price_band_whose_lower_bound_exceeds_its_upper_bound_is_refused_at_start()
    {
        var config = Path.Combine(_dir, "bad-band.json");
        await File.WriteAllTextAsync(config, """{ "Recommender": { "Ranking": { "PriceBandLow": 0.4, "PriceBandHigh": 0.2 } } }""");
        var (code, _, error) = await Run("run", "--config", config, "-b", "127.0.0.1:9", "--redis", "127.0.0.1:1");
        Assert.Equal(2, code);
        Assert.Contains("PriceBandLow", error);
    }

    [Fact]
    public async Task Run_is_hosted_with_health_checks_and_metrics_and_stops_cleanly_when_cancelled()
    {
        using var kafka = new KafkaFixture();
        var port = CartCrossSell.Redis.LocalRedisServer.FreeLoopbackPort();
        using var stop = new CancellationTokenSource();
        var output = new StringWriter();
        var running = CliApplication.RunAsync(
            ["run", "-b", kafka.Options.BootstrapServers, "--topologies", "learner", "--metrics-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            output, new StringWriter(), stop.Token);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };

        var deadline = DateTime.UtcNow.AddSeconds(60);
        HttpResponseMessage? ready = null;
        while (DateTime.UtcNow < deadline && !running.IsCompleted)
        {
            try
            {
                ready = await http.GetAsync("health/ready");
                if (ready.IsSuccessStatusCode) break;
            }
            catch (HttpRequestException)
            {
                // Kestrel not listening yet
            }
            await Task.Delay(200);
        }
        Assert.True(ready?.IsSuccessStatusCode, $"/health/ready answered {ready?.StatusCode} (the learner group runs once its tasks are assigned)");
        Assert.True((await http.GetAsync("health/live")).IsSuccessStatusCode);
        var metrics = await http.GetStringAsync("metrics");
        Assert.Contains("cartxsell_topology_state{topology=\"learner\"} 2", metrics); // Streamiz RUNNING, from its state listener
        Assert.Contains("cartxsell_streamiz{", metrics); // Streamiz's own sensors, bridged
        Assert.Contains("cartxsell_consumer_lag{topology=\"learner\",topic=\"order-events\",partition=\"0\"} 0", metrics); // nothing published: no lag

        await stop.CancelAsync(); // what SIGTERM does through the command line
        Assert.Equal(0, await running.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("running: learner", output.ToString());
    }

    [Fact]
    public void Run_hosts_its_shared_part_then_one_hosted_service_per_topology_group_in_start_order()
    {
        IReadOnlyList<string> Hosted(string[] topologies, bool experiment)
        {
            var configuration = ServiceConfiguration.Load(null, new Dictionary<string, string?>
            {
                ["Kafka:BootstrapServers"] = "127.0.0.1:9", // built, not started: nothing connects
                ["Redis:Configuration"] = "127.0.0.1:1",
                ["Monitoring:Port"] = "0",
                ["Experiment:Enabled"] = experiment ? "true" : "false",
            });
            using var host = ServiceHost.Build(configuration, topologies);
            return host.Services.GetServices<IHostedService>()
                .Select(s => s switch { TopologyGroupHostedService g => g.Group, SharedPartHostedService => "shared", _ => null })
                .OfType<string>().ToList();
        }

        // The order given on the command line does not matter: groups start learner, recommender, outcomes, trainer.
        Assert.Equal(["shared", "learner", "recommender", "outcomes", "ranker-trainer"],
            Hosted(["ranker-trainer", "outcomes", "recommender", "learner"], experiment: true));
        // Without an experiment the outcomes group has nothing to measure and is not hosted.
        Assert.Equal(["shared", "learner"], Hosted(["learner", "outcomes"], experiment: false));
        Assert.Equal(["shared", "learner", "recommender"], Hosted([], experiment: true)); // the default selection
    }

    [Fact]
    public async Task Each_topology_group_is_its_own_hosted_service_stopped_alone_and_the_host_stops_them_in_reverse_start_order()
    {
        using var kafka = new KafkaFixture();
        var configuration = ServiceConfiguration.Load(null, new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = kafka.Options.BootstrapServers,
            ["Monitoring:Port"] = "0",
        });
        using var host = ServiceHost.Build(configuration, ["ranker-trainer", "outcomes", "learner"]);
        // The host's own log lines, in the order they are written (each group's start and stop says its name).
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        host.Services.GetRequiredService<ILoggerFactory>().AddProvider(TestLogging.Provider(lines.Enqueue));
        List<string> GroupLines(string what) => [.. lines
            .Where(l => l.Contains("TopologyGroupHostedService: ", StringComparison.Ordinal) && l.Contains(what, StringComparison.Ordinal))
            .Select(l => l.Split("TopologyGroupHostedService: ")[1].Split(':')[0])];
        await host.StartAsync();
        Assert.Equal(["learner", "outcomes", "ranker-trainer"], GroupLines(": started in "));
        var service = host.Services.GetRequiredService<CrossSellService>();
        var learner = service.Application("learner")!;
        var outcomes = service.Application("outcomes")!;
        var trainer = service.Application("ranker-trainer")!;
        foreach (var group in new[] { learner, outcomes, trainer }) await group.WaitUntilRunningAsync(TimeSpan.FromSeconds(60));
        // Polled: a thread fenced on a loaded machine leaves RUNNING for a moment.
        await Polling.UntilAsync(() => Task.FromResult(service.NotReadyBecause is null), TimeSpan.FromSeconds(30), () => $"ready ({service.NotReadyBecause})");

        // One group's hosted service stops its group alone: the others keep running, and the process is not failed.
        var groups = host.Services.GetServices<IHostedService>().OfType<TopologyGroupHostedService>().ToList();
        Assert.Equal(["learner", "outcomes", "ranker-trainer"], groups.Select(g => g.Group));
        await groups[1].StopAsync(CancellationToken.None);
        Assert.True(outcomes.Completion.IsCompletedSuccessfully);
        Assert.Equal(["outcomes"], GroupLines(": stopped in "));
        foreach (var running in new[] { learner, trainer })
        {
            Assert.False(running.Completion.IsCompleted, running.Name);
            await Polling.UntilAsync(() => Task.FromResult(running.IsRunning), TimeSpan.FromSeconds(30), () => $"{running.Name} running ({running.NotRunningBecause})");
        }
        Assert.False(host.Services.GetRequiredService<ServiceFailure>().Failed);

        // The host stops the rest in the reverse of their start order (the trainer before the learner), the shared
        // part last: it disposes the service. The outcomes group's service, stopped already, does nothing the second time.
        await host.StopAsync();
        Assert.True(learner.Completion.IsCompletedSuccessfully && trainer.Completion.IsCompletedSuccessfully);
        Assert.Equal(["outcomes", "ranker-trainer", "learner"], GroupLines(": stopped in "));
        Assert.False(host.Services.GetRequiredService<ServiceFailure>().Failed);
    }

    [Fact]
    public void The_deployment_configuration_binds_without_unknown_keys()
    {
        var configuration = ServiceConfiguration.Load(new FileInfo(Path.Combine(RepositoryFiles.Root, "deploy", "cartxsell.json")));
        var options = ServiceConfiguration.Bind(configuration);
        options.Validate();
        Assert.Equal("kafka:9092", options.Kafka.BootstrapServers);
        Assert.Equal(TimeSpan.FromDays(7), options.Redis.Ttl);
        Assert.Equal(150, options.Learning.MaxNeighbors);
        Assert.Equal(6, configuration.GetSection(TopicLayoutOptions.SectionName).Get<TopicLayoutOptions>()!.Partitions);
    }

    [Fact]
    public async Task Topics_apply_reports_every_topic_and_the_mock_clusters_auto_creation()
    {
        using var kafka = new KafkaFixture();
        var (code, output, _) = await Run("topics", "apply", "-b", kafka.Options.BootstrapServers);
        Assert.Equal(0, code);
        foreach (var topic in new[] { "cart-events", "order-events", "catalog", "item-neighbors", "dead-letters", "aov-aggregates",
                     "cartxsell-learner-basket-rows-repartition", "cartxsell-learner-basket-rows-changelog", "cartxsell-recommender-carts-changelog",
                     "cartxsell-ranker-trainer-orders-repartition", "cartxsell-ranker-trainer-ranker-sample-changelog" })
            Assert.Contains(topic, output);
        Assert.Contains("auto-created", output);
    }

    [Fact]
    public async Task Models_publish_puts_a_servable_model_in_service_and_retire_takes_it_out_while_a_bad_file_is_refused_by_name()
    {
        using var kafka = new KafkaFixture();
        Directory.CreateDirectory(_dir);
        var trees = new[] { 0.1f, 0.3f }.Select(t => new Engine.Ranking.TreeEnsemble.Tree([0], [t], [-1], [-2], [0.0, 1.0])).ToList();
        var model = new Engine.Ranking.RankingModel(new Engine.Ranking.TreeEnsemble(trees, -1, Engine.Ranking.RankingFeatures.Count),
            Engine.Ranking.RankingFeatures.Names, -1, 0, 0.1, DateTimeOffset.UnixEpoch.AddYears(56));
        var path = Path.Combine(_dir, "model.bin");
        await File.WriteAllBytesAsync(path, model.ToBytes());
        var garbage = Path.Combine(_dir, "garbage.bin");
        await File.WriteAllTextAsync(garbage, "not a model");

        var (refused, _, refusal) = await Run("models", "publish", garbage, "-b", kafka.Options.BootstrapServers);
        Assert.Equal(2, refused);
        Assert.Contains(garbage, refusal);

        var (code, output, _) = await Run("models", "publish", path, "-b", kafka.Options.BootstrapServers);
        Assert.Equal(0, code);
        Assert.Contains(model.Version, output);
        var (retired, _, _) = await Run("models", "retire", "-b", kafka.Options.BootstrapServers);
        Assert.Equal(0, retired);

        // What every recommender's global store reads: the model under the serving key, then the tombstone.
        var records = RawRecords(kafka.Options, Topics.RankingModels, 2);
        Assert.All(records, r => Assert.Equal(Topologies.Recommending.ModelTable.ServingKey, r.Key));
        var served = new Topologies.Recommending.RankingModelCodec().Decode(records[0].Value);
        Assert.Equal(model.Version, served.Value!.Version);
        Assert.Null(records[1].Value);
    }

    private static List<(string Key, byte[]? Value)> RawRecords(Streams.KafkaOptions kafka, string topic, int count)
    {
        var config = new Confluent.Kafka.ConsumerConfig
        {
            BootstrapServers = kafka.BootstrapServers, GroupId = "probe-" + Guid.NewGuid().ToString("N"), AutoOffsetReset = Confluent.Kafka.AutoOffsetReset.Earliest,
            FetchWaitMaxMs = Streams.KafkaOptions.ConsumerFetchWaitMs,
        };
        using var consumer = new Confluent.Kafka.ConsumerBuilder<string, byte[]?>(config).SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe(topic);
        var records = new List<(string, byte[]?)>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (records.Count < count && DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } r) records.Add((r.Message.Key, r.Message.Value));
        consumer.Close();
        return records;
    }

    [Fact]
    public async Task Backfill_publishes_good_orders_and_names_the_file_and_line_of_bad_ones()
    {
        using var kafka = new KafkaFixture();
        var orders = Path.Combine(_dir, "orders.csv");
        await File.WriteAllLinesAsync(orders,
        [
            "order_id,sku,quantity,unit_price,timestamp",
            "o1,shoes,1,80.00,2026-01-02T10:00:00Z",
            "o1,socks,2,6.00,2026-01-02T10:00:00Z",
            "o2,socks,not-a-number,6.00,2026-01-03T10:00:00Z",
            "o3,bottle,1,12.00,2026-01-04T10:00:00Z",
        ]);
        var (code, output, error) = await Run("backfill", "--orders", orders, "-b", kafka.Options.BootstrapServers);
        Assert.Equal(0, code);
        Assert.Contains($"{orders}:4:", error);
        Assert.Contains("2 orders", output);

        var published = TopicProbe.ReadAll(kafka.Options, Topics.OrderEvents, 2, TimeSpan.FromSeconds(10))
            .Select(r => JsonSerializer.Deserialize(r.Message.Value, ContractsJson.Default.OrderCompleted)!).ToArray();
        Assert.Equal(["o1", "o3"], published.Select(o => o.OrderId).Order());
        Assert.Equal(2, published.Single(o => o.OrderId == "o1").Lines.Count);
    }

    [Fact]
    public async Task Backfill_of_a_missing_file_says_which_file()
    {
        var (code, _, error) = await Run("backfill", "--orders", Path.Combine(_dir, "nope.csv"), "-b", "127.0.0.1:9");
        Assert.Equal(2, code);
        Assert.Contains("nope.csv", error);
    }
}
