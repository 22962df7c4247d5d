using Microsoft.Extensions.Options;

namespace CartCrossSell.Streams;

/// <summary>
/// An options class's own rules as a host's <c>ValidateOnStart</c> check: <paramref name="validate"/> throws
/// <see cref="OptionsValidationException"/> naming the key, and the host reports that message.
/// </summary>
public sealed class OptionsValidation<T>(Action<T> validate) : IValidateOptions<T> where T : class
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        try
        {
            validate(options);
            return ValidateOptionsResult.Success;
        }
        catch (OptionsValidationException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}
