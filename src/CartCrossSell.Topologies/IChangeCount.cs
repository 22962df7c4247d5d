namespace CartCrossSell.Topologies;

/// <summary>
/// A replicated table that counts the changes it applied, each counted once it is visible to readers: what was computed
/// from the table while its count stayed the same is still what the table says.
/// </summary>
public interface IChangeCount
{
    long Changes { get; }
}
