extension GuardExchange {
    /// The Lua run by `EVAL` for each call of a batch.
    ///
    /// KEYS: the feed (a stream of blocks, lifts and spent budgets), then three keys for each
    /// client and each notice: its
    /// bucket (hash `t` tokens, `u` updated ms), its reads (sorted set, flight scored by its latest
    /// read in ms) and its detection flag.
    ///
    /// ARGV: now ms, rate per ms, burst, window ms, seat-map limit, block ms, bucket lifetime ms,
    /// the feed cursor (`-` do not read, empty to start at the end, else the last id read), the
    /// number of clients and of notices; then per client its key, the address to block with it
    /// (or empty), the tokens taken and the number of reads, followed by that many flight and
    /// time pairs; then per notice its key and the end of the block in ms (0 lifts it).
    ///
    /// A client whose batch leaves its shared bucket under one token is announced on the feed
    /// (`k` key, `t` thousandths of a token, `a` as of ms), so that every instance lowers its
    /// bucket, served there yet or not; a block is `k` key, `u` until ms (0 for a lift).
    ///
    /// Returns the new cursor, the feed's entries read (each its list of fields and values), and
    /// per client its shared bucket in thousandths of a token, its distinct seat maps in the
    /// window, 1 if this call detected it, and a sample of the flights it read.
    static let script = """
        local now = tonumber(ARGV[1])
        local rate = tonumber(ARGV[2])
        local burst = tonumber(ARGV[3])
        local window = tonumber(ARGV[4])
        local limit = tonumber(ARGV[5])
        local blockFor = tonumber(ARGV[6])
        local bucketLife = tonumber(ARGV[7])
        local cursor = ARGV[8]
        local clients = tonumber(ARGV[9])
        local notices = tonumber(ARGV[10])
        local feed = KEYS[1]
        local a, k = 11, 2
        local function publish(key, untilMs)
          redis.call('XADD', feed, 'MAXLEN', '~', 10000, '*', 'k', key, 'u', untilMs)
        end
        local results = {}
        for i = 1, clients do
          local client, also, taken, reads = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
          a = a + 4
          local bucket, readSet, flag = KEYS[k], KEYS[k + 1], KEYS[k + 2]
          k = k + 3
          local tokens = 0
          if rate > 0 then
            local state = redis.call('HMGET', bucket, 't', 'u')
            tokens = tonumber(state[1]) or burst
            local updated = tonumber(state[2]) or now
            if now > updated then
              tokens = math.min(burst, tokens + (now - updated) * rate)
              updated = now
            end
            tokens = math.min(burst, tokens - taken)
            redis.call('HSET', bucket, 't', tokens, 'u', updated)
            redis.call('PEXPIRE', bucket, bucketLife)
            if taken > 0 and tokens < 1 then
              redis.call('XADD', feed, 'MAXLEN', '~', 10000, '*', 'k', client, 't', math.floor(tokens * 1000), 'a', now)
            end
          end
          local distinct, detected, sample = 0, 0, {}
          if reads > 0 then
            local members = {}
            for r = 1, reads do
              members[#members + 1] = ARGV[a + 1]
              members[#members + 1] = ARGV[a]
              a = a + 2
              if #members >= 400 or r == reads then
                redis.call('ZADD', readSet, 'GT', unpack(members))
                members = {}
              end
            end
            redis.call('ZREMRANGEBYSCORE', readSet, '-inf', now - window)
            distinct = redis.call('ZCARD', readSet)
            redis.call('PEXPIRE', readSet, window)
            if distinct > limit and redis.call('SET', flag, '1', 'NX', 'PX', blockFor) then
              detected = 1
              sample = redis.call('ZRANGE', readSet, 0, 9)
              redis.call('DEL', readSet)
              publish(client, now + blockFor)
              if also ~= '' then publish(also, now + blockFor) end
            end
          end
          results[i] = {math.floor(tokens * 1000), distinct, detected, sample}
        end
        for i = 1, notices do
          local key, untilMs = ARGV[a], tonumber(ARGV[a + 1])
          a = a + 2
          local bucket, readSet, flag = KEYS[k], KEYS[k + 1], KEYS[k + 2]
          k = k + 3
          if untilMs > now then
            redis.call('SET', flag, '1', 'PX', untilMs - now)
            redis.call('DEL', readSet)
          else
            redis.call('DEL', flag, readSet, bucket)
            untilMs = 0
          end
          publish(key, untilMs)
        end
        local heard = {}
        if cursor == '' then
          local last = redis.call('XREVRANGE', feed, '+', '-', 'COUNT', 1)
          cursor = last[1] and last[1][1] or '0-0'
        elseif cursor ~= '-' then
          for _, entry in ipairs(redis.call('XRANGE', feed, '(' .. cursor, '+', 'COUNT', 1000)) do
            cursor = entry[1]
            heard[#heard + 1] = entry[2]
          end
        end
        return {cursor, heard, results}
        """
}
