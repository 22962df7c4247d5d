using CartCrossSell.Streams;

namespace CartCrossSell.Topologies.Learning;

/// <summary>How the streaming learner publishes. Bound from the <c>Learner</c> section.</summary>
public sealed class LearnerOptions
{
    public const string SectionName = "Learner";

    /// <summary>
    /// A changed row is published to <c>item-neighbors</c> at most once per this interval, so a hot item is not
    /// republished on every order. Default 1 s. Changes in between are merged into the next publication.
    /// </summary>
    public TimeSpan RowPublishInterval { get; set; } = TimeSpan.FromSeconds(1);

    public void Validate()
    {
        if (RowPublishInterval < TimeSpan.Zero) throw new OptionsValidationException($"{SectionName}:RowPublishInterval must not be negative");
    }
}
