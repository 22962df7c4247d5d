namespace CartCrossSell.Contracts.Tests;

public sealed class TitlePatternTests
{
    [Theory]
    [InlineData("(?=x)candle")]   // lookaround
    [InlineData("(a)\\1")]       // backreference
    [InlineData("(?>candle)")]   // atomic group
    [InlineData("candle(")]      // not a pattern at all
    public void A_title_pattern_the_linear_time_engine_refuses_is_a_validation_error_not_an_exception(string pattern)
    {
        // Linear-time matching throws NotSupportedException for these constructs: escaping validation, it made one rule
        // record undecodable for every reader of merchandising-rules, at every start.
        var rule = new MerchandisingRuleRecord { Id = "r", Kind = MerchandisingRuleKind.Block, TitlePattern = pattern };
        var errors = ContractValidation.Validate(rule);
        Assert.Contains(errors, e => e.StartsWith("titlePattern is not a regular expression", StringComparison.Ordinal));
    }
}
