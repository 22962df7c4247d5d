using CartCrossSell.Engine;
using CartCrossSell.Streams;

namespace CartCrossSell.Topologies.Recommending;

/// <summary>Options of the cart recommender. Bound from the <c>Recommender</c> configuration section.</summary>
public sealed class RecommenderOptions
{
    public const string SectionName = "Recommender";

    /// <summary>A cart event that would take a cart above this many lines goes to dead letters. Default 200.</summary>
    public int MaxCartLines { get; set; } = 200;

    /// <summary>The engine's ranking rules.</summary>
    public RecommendationOptions Ranking { get; set; } = new();

    public void Validate()
    {
        if (MaxCartLines < 1) throw new OptionsValidationException($"{SectionName}:MaxCartLines must be at least 1");
        try
        {
            Ranking.Validate();
        }
        catch (ArgumentException e)
        {
            throw new OptionsValidationException($"{SectionName}:Ranking: {e.Message}");
        }
    }
}
