# Reads a block or mute list the way Mastodon's import does (app/models/form/import.rb): Ruby's
# CSV with headers, blank lines skipped, a file whose first header is not a known one re-read
# without headers, 'Account address' stripped and a leading @ dropped, booleans cast. Prints
# what would be imported as JSON, or the error Mastodon would show. Written for pileon's tests.
require 'csv'
require 'json'

path, type = ARGV
known_first = ['Account address', '#domain', '#uri', 'List name']
expected = { 'blocking' => ['Account address'],
             'muting' => ['Account address', 'Hide notifications'] }.fetch(type)
limit_bytes = 20 * 1024 * 1024
limit_rows = 20_000

cast = lambda do |field, info|
  case info.header
  when 'Hide notifications'
    field.to_s.empty? ? nil : !%w(false f 0 off).include?(field.to_s.downcase)
  when 'Account address' then field.strip.gsub(/\A@/, '')
  else field
  end
end

errors = []
errors << 'too large' if File.size(path) > limit_bytes
data = CSV.open(path, encoding: 'UTF-8', skip_blanks: true, headers: true, converters: cast)
data.take(1)
unless known_first.include?(data.headers&.first)
  data = CSV.open(path, encoding: 'UTF-8', skip_blanks: true, headers: ['Account address'],
                        converters: cast)
end
errors << 'incompatible type' unless expected.all? { |h| data.headers.include?(h) }
data.rewind
rows = data.take(limit_rows + 2)
errors << 'over rows processing limit' if rows.size > limit_rows
puts JSON.generate({ errors: errors,
                     rows: rows.map { |row| row.to_h.slice(*expected) } })
