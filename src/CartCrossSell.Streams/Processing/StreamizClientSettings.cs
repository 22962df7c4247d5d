using System.Globalization;
using System.Reflection;
using Streamiz.Kafka.Net;

namespace CartCrossSell.Streams.Processing;

/// <summary>
/// <c>Kafka:Client</c> values are librdkafka's strings (<c>fetch.wait.max.ms = 5</c>, <c>security.protocol =
/// SASL_SSL</c>). Streamiz's <see cref="StreamConfig"/> sets a key it knows through a typed property (an <c>int?</c>,
/// a <c>bool?</c>, a Confluent enum) and threw at start when handed the string, so a stream group could take no
/// security or timeout setting at all. Each value is converted to the property's type first (enums by name,
/// ignoring case, underscores and dashes: <c>SASL_SSL</c> is <c>SaslSsl</c>, <c>SCRAM-SHA-256</c> is
/// <c>ScramSha256</c>). A key Streamiz has no property for would be kept in its own table and reach no client
/// (<c>client.rack</c>, for one): it is set on each client's overrides instead (main, restore and global consumers,
/// producer), as the string it is.
/// </summary>
internal static class StreamizClientSettings
{
    /// <summary>Prefixes of <see cref="StreamConfig"/>'s per-client overrides.</summary>
    private static readonly string[] ClientPrefixes = ["main.consumer.", "restore.consumer.", "global.consumer.", "producer."];

    /// <summary>Sets one <c>Kafka:Client</c> entry on a stream group's configuration, so that every client of the group gets it.</summary>
    public static void Apply(StreamConfig config, string key, string value)
    {
        if (KnownKeys.Value.ContainsKey(key))
            config[key] = Convert(key, value);
        else
            foreach (var prefix in ClientPrefixes) config[prefix + key] = value;
    }

    private static readonly Lazy<IReadOnlyDictionary<string, Type>> KnownKeys = new(() =>
    {
        var keys = new Dictionary<string, Type>(StringComparer.Ordinal);
        foreach (var property in typeof(StreamConfig).GetProperties(BindingFlags.Instance | BindingFlags.Public))
        {
            // The attribute is internal to Streamiz: read it by name, as StreamConfig itself maps keys to properties.
            var attribute = property.GetCustomAttributes(inherit: true).FirstOrDefault(a => a.GetType().Name == "StreamConfigPropertyAttribute");
            if (attribute is null) continue;
            var type = attribute.GetType();
            if (type.GetProperty("ReadOnly")?.GetValue(attribute) is true) continue;
            if (type.GetProperty("KeyName")?.GetValue(attribute) is string key) keys[key] = property.PropertyType;
        }
        return keys;
    });

    /// <summary>The value as <see cref="StreamConfig"/> takes it for <paramref name="key"/>; throws <see cref="FormatException"/> when it cannot be.</summary>
    public static object Convert(string key, string value)
    {
        if (!KnownKeys.Value.TryGetValue(key, out var type) || type == typeof(string)) return value;
        var target = Nullable.GetUnderlyingType(type) ?? type;
        var text = value.Trim();
        if (target.IsEnum)
        {
            var wanted = Normalise(text);
            foreach (var name in Enum.GetNames(target))
                if (Normalise(name) == wanted) return Enum.Parse(target, name);
            if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && Enum.IsDefined(target, System.Convert.ChangeType(number, Enum.GetUnderlyingType(target), CultureInfo.InvariantCulture)))
                return Enum.ToObject(target, number); // acks = -1, 0, 1
            throw new FormatException($"'{value}' is not one of {string.Join(", ", Enum.GetNames(target))}");
        }
        try
        {
            return target == typeof(bool) ? bool.Parse(text) : System.Convert.ChangeType(text, target, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidCastException)
        {
            throw new FormatException($"'{value}' is not a {target.Name}", e);
        }
    }

    private static string Normalise(string name) => name.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToUpperInvariant();
}
