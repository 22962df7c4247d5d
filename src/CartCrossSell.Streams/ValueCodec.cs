using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using CartCrossSell.Contracts;

namespace CartCrossSell.Streams;

/// <summary>The outcome of decoding one record value: the value, or the dead-letter kind and reason.</summary>
public readonly record struct Decoded<T>(T? Value, string? FailureKind, string? FailureReason)
{
    public bool Ok => FailureKind is null;
    public static Decoded<T> Success(T value) => new(value, null, null);
    public static Decoded<T> Failure(string kind, string reason) => new(default, kind, reason);
}

/// <summary>Turns record bytes into a typed value and back. Decoding never throws: failures become dead letters.</summary>
public interface IValueCodec<T>
{
    Decoded<T> Decode(ReadOnlySpan<byte> bytes);
    byte[] Encode(T value);
}

/// <summary>
/// JSON with the source-generated contract context, followed by the contract's validation rules, so a dead letter
/// says exactly what was wrong ("lines[2].quantity must be positive, was -1").
/// </summary>
public sealed class JsonContractCodec<T>(JsonTypeInfo<T> typeInfo, Func<T, IReadOnlyList<string>>? validate = null) : IValueCodec<T>
    where T : class
{
    public Decoded<T> Decode(ReadOnlySpan<byte> bytes)
    {
        T? value;
        try
        {
            value = JsonSerializer.Deserialize(bytes, typeInfo);
        }
        catch (JsonException e)
        {
            return Decoded<T>.Failure(DeadLetterKinds.Unparseable, $"not valid {typeof(T).Name} JSON: {e.Message}");
        }
        if (value is null) return Decoded<T>.Failure(DeadLetterKinds.Unparseable, "value is JSON null");
        if (validate is not null)
        {
            IReadOnlyList<string> errors;
            try
            {
                errors = validate(value);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A rule that throws instead of reporting must not make one record undecodable forever (every reader of
                // the topic would stop on it): the record is invalid.
                return Decoded<T>.Failure(DeadLetterKinds.Invalid, $"validation failed: {e.GetType().Name}: {e.Message}");
            }
            if (errors.Count > 0) return Decoded<T>.Failure(DeadLetterKinds.Invalid, string.Join("; ", errors));
        }
        return Decoded<T>.Success(value);
    }

    public byte[] Encode(T value) => JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);
}

/// <summary>
/// What every input record goes through before a processor sees it, in production and in the test driver alike:
/// a tombstone or an oversized value is refused before parsing, then the codec parses and validates.
/// </summary>
public static class InputGate
{
    public static Decoded<T> Admit<T>(byte[]? value, IValueCodec<T> codec, int maxRecordBytes)
    {
        if (value is null) return Decoded<T>.Failure(DeadLetterKinds.Invalid, "value is missing (a tombstone is not an event)");
        if (value.Length > maxRecordBytes)
            return Decoded<T>.Failure(DeadLetterKinds.Oversized, $"value is {value.Length} bytes, more than the {maxRecordBytes} allowed");
        try
        {
            return codec.Decode(value);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Codecs do not throw by contract; one that does anyway must not stop the partition on every restart.
            return Decoded<T>.Failure(DeadLetterKinds.Unparseable, $"{e.GetType().Name}: {e.Message}");
        }
    }
}

/// <summary>Codecs of the public contracts.</summary>
public static class ContractCodecs
{
    public static readonly JsonContractCodec<CartEvent> CartEvent = new(ContractsJson.Default.CartEvent, ContractValidation.Validate);
    public static readonly JsonContractCodec<OrderCompleted> OrderCompleted = new(ContractsJson.Default.OrderCompleted, ContractValidation.Validate);
    public static readonly JsonContractCodec<ProductUpserted> ProductUpserted = new(ContractsJson.Default.ProductUpserted, ContractValidation.Validate);
    public static readonly JsonContractCodec<NeighborRow> NeighborRow = new(ContractsJson.Default.NeighborRow);
    public static readonly JsonContractCodec<BasketRowDelta> BasketRowDelta = new(ContractsJson.Default.BasketRowDelta);
    public static readonly JsonContractCodec<DeadLetter> DeadLetter = new(ContractsJson.Default.DeadLetter);
    public static readonly JsonContractCodec<MerchandisingRuleRecord> MerchandisingRule = new(ContractsJson.Default.MerchandisingRuleRecord, ContractValidation.Validate);
    public static readonly JsonContractCodec<CrossSellImpression> CrossSellImpression = new(ContractsJson.Default.CrossSellImpression, ContractValidation.Validate);
}
