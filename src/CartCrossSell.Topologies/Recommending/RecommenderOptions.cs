using CartCrossSell.Engine;
using CartCrossSell.Streams;

namespace CartCrossSell.Topologies.Recommending;

/// <summary>Options of the cart recommender. Bound from the <c>Recommender</c> configuration section.</summary>
public sealed class RecommenderOptions
{
    public const string SectionName = "Recommender";

    /// <summary>A cart event that would take a cart above this many lines goes to dead letters. Default 200.</summary>
    public int MaxCartLines { get; set; } = 200;

    /// <summary>
    /// A cart event older than this (by its own timestamp, against the clock) is dead-lettered as <c>implausible-time</c>.
    /// Default 7 days, the retention of <c>cart-events</c>: an older event can only come from a wrong clock or script.
    /// </summary>
    public TimeSpan MaxEventAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How many of a cart's most recent event ids the cart remembers (in its own changelogged state record): an event
    /// whose <c>eventId</c> is among them is a duplicate and changes nothing. Default 64; 0 turns deduplication off.
    /// </summary>
    public int DeduplicationWindow { get; set; } = 64;

    /// <summary>The engine's ranking rules.</summary>
    public RecommendationOptions Ranking { get; set; } = new();

    /// <summary>
    /// The newest orders' baskets each instance holds for the learned ranker's similar-baskets source (read from
    /// <c>order-events</c> where a model can serve). The defaults are the trainer's: a model is fitted on what these read.
    /// </summary>
    public Engine.Ranking.SimilarBasketsOptions SimilarBaskets { get; set; } = new();

    public void Validate()
    {
        if (MaxCartLines < 1) throw new OptionsValidationException($"{SectionName}:MaxCartLines must be at least 1");
        if (MaxEventAge <= TimeSpan.Zero) throw new OptionsValidationException($"{SectionName}:MaxEventAge must be positive");
        if (DeduplicationWindow is < 0 or > 10_000) throw new OptionsValidationException($"{SectionName}:DeduplicationWindow must be between 0 and 10000");
        try
        {
            Ranking.Validate();
        }
        catch (ArgumentException e)
        {
            throw new OptionsValidationException($"{SectionName}:Ranking: {e.Message}");
        }
        try
        {
            SimilarBaskets.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            // The engine's message names SimilarBaskets:{key}; without the parameter line ArgumentException appends.
            throw new OptionsValidationException($"{SectionName}:{e.Message.Split(" (Parameter")[0].Split(Environment.NewLine)[0]}");
        }
    }
}
