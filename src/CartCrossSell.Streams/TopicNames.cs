using System.Text.RegularExpressions;

namespace CartCrossSell.Streams;

/// <summary>Internal topic names derive from the application id, as in Kafka Streams.</summary>
public static partial class TopicNames
{
    public static string Changelog(string applicationId, string storeName) => $"{applicationId}-{storeName}-changelog";

    public static string Repartition(string applicationId, string name) => $"{applicationId}-{name}-repartition";

    public static string ConsumerGroup(string applicationId, string topologyName) => $"{applicationId}-{topologyName}";

    public static bool IsLegal(string name) => name.Length <= 200 && LegalName().IsMatch(name);

    [GeneratedRegex("^[a-zA-Z0-9._-]+$")]
    private static partial Regex LegalName();
}
