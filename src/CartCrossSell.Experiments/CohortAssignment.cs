using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace CartCrossSell.Experiments;

/// <summary>The two arms of the holdout experiment.</summary>
public enum Cohort
{
    /// <summary>Sees the cart-page cross-sell widget.</summary>
    Treatment,

    /// <summary>Sees the cart without the widget; the baseline for incremental revenue.</summary>
    Holdout,
}

/// <summary>
/// One holdout experiment. The salt and the experiment id both feed the assignment hash, so a new salt reshuffles
/// every visitor: that is a new experiment, and its aggregates are kept apart from the old salt's.
/// </summary>
public sealed record ExperimentConfig
{
    public const double DefaultHoldoutShare = 0.10;

    public ExperimentConfig(string experimentId, string salt, double holdoutShare = DefaultHoldoutShare)
    {
        ArgumentException.ThrowIfNullOrEmpty(experimentId);
        ArgumentNullException.ThrowIfNull(salt);
        // A share of exactly 0 or 1 leaves one arm empty: nothing could be compared, so it is a configuration error.
        if (!(holdoutShare > 0.0 && holdoutShare < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(holdoutShare), holdoutShare, "The holdout share must lie strictly between 0 and 1.");
        }

        ExperimentId = experimentId;
        Salt = salt;
        HoldoutShare = holdoutShare;
    }

    public string ExperimentId { get; }
    public string Salt { get; }
    public double HoldoutShare { get; }

    public Cohort Assign(string? visitorId, string sessionId) =>
        CohortAssignment.Assign(Salt, ExperimentId, CohortAssignment.SubjectId(visitorId, sessionId), HoldoutShare);
}

/// <summary>
/// The cohort assignment the storefront and this service must agree on, bit for bit (docs/experiments.md):
/// <list type="number">
/// <item>subject = visitor id when present and non-empty, otherwise the session id;</item>
/// <item>h = SHA-256 of the UTF-8 bytes of <c>"{salt}:{experimentId}:{subject}"</c>;</item>
/// <item>u = the first 8 bytes of h read as a big-endian unsigned 64-bit integer;</item>
/// <item>bucket = floor(u / 2^11) / 2^53, a double in [0, 1) that every IEEE-754 language computes exactly;</item>
/// <item>holdout when bucket &lt; holdoutShare, treatment otherwise.</item>
/// </list>
/// Dropping the low 11 bits is what makes the division exact in doubles (53-bit mantissa), so a JavaScript or
/// Python storefront cannot round differently near the threshold.
/// </summary>
public static class CohortAssignment
{
    private const double TwoToMinus53 = 1.0 / 9007199254740992.0;

    /// <summary>Visitors keep their cohort across sessions; anonymous traffic is assigned per session.</summary>
    public static string SubjectId(string? visitorId, string sessionId)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        return string.IsNullOrEmpty(visitorId) ? sessionId : visitorId;
    }

    /// <summary>The uniform [0, 1) position of a subject in this experiment.</summary>
    public static double Bucket(string salt, string experimentId, string subjectId)
    {
        ArgumentNullException.ThrowIfNull(salt);
        ArgumentNullException.ThrowIfNull(experimentId);
        ArgumentNullException.ThrowIfNull(subjectId);
        var input = Encoding.UTF8.GetBytes($"{salt}:{experimentId}:{subjectId}");
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input, hash);
        var u = BinaryPrimitives.ReadUInt64BigEndian(hash);
        return (u >> 11) * TwoToMinus53;
    }

    public static Cohort Assign(string salt, string experimentId, string subjectId, double holdoutShare) =>
        Bucket(salt, experimentId, subjectId) < holdoutShare ? Cohort.Holdout : Cohort.Treatment;
}
