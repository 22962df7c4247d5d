using Confluent.Kafka;

namespace CartCrossSell.Streams;

/// <summary>How to reach Kafka. Bound from the <c>Kafka</c> configuration section.</summary>
public sealed class KafkaOptions
{
    public const string SectionName = "Kafka";

    /// <summary>Comma-separated host:port list. Required (the embedded cluster fills it in when used).</summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary>Extra librdkafka client properties (security, timeouts). Keys owned by the layer are refused.</summary>
    public Dictionary<string, string> Client { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Properties the processing layer sets itself; accepting them from configuration would break its guarantees.</summary>
    public static readonly IReadOnlySet<string> LayerOwnedKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "enable.auto.commit", "enable.auto.offset.store", "group.id", "isolation.level",
        "enable.partition.eof", "enable.idempotence", "transactional.id",
    };

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(BootstrapServers))
            throw new OptionsValidationException($"{SectionName}:BootstrapServers is required (for example localhost:9092; -b on the command line; `run` and `serve` also take --embedded)");
        foreach (var endpoint in BootstrapServers.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = endpoint.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(endpoint[(colon + 1)..], out var port) || port is <= 0 or > 65535)
                throw new OptionsValidationException($"{SectionName}:BootstrapServers entry '{endpoint}' is not host:port");
        }
        foreach (var key in Client.Keys)
            if (LayerOwnedKeys.Contains(key))
                throw new OptionsValidationException($"{SectionName}:Client:{key} is set by the processing layer and cannot be configured");
    }

    /// <summary>
    /// How long any of the layer's consumers (topologies, restores, replicated tables) lets a fetch wait for data.
    /// A broker answers a waiting fetch as soon as data arrives, so on real Kafka this only bounds idle fetches (50 per
    /// second per broker). librdkafka's mock cluster (the embedded default) answers only when the wait expires: with
    /// the 500 ms default, 300 simulated sessions took 17.4 s; with 20 ms, 5.0 s. <see cref="Client"/> overrides it.
    /// </summary>
    public const int ConsumerFetchWaitMs = 20;

    internal ClientConfig Apply(ClientConfig config)
    {
        config.BootstrapServers = BootstrapServers;
        if (config is ConsumerConfig consumer) consumer.FetchWaitMaxMs = ConsumerFetchWaitMs;
        return ApplyClientSettings(config);
    }

    /// <summary>The <see cref="Client"/> settings, as given, set last on a client's configuration (they win over the layer's defaults).</summary>
    internal T ApplyClientSettings<T>(T config) where T : ClientConfig
    {
        foreach (var (key, value) in Client) config.Set(key, value);
        return config;
    }
}

/// <summary>A configuration value is missing or wrong; the message names the key.</summary>
public sealed class OptionsValidationException(string message) : Exception(message);
